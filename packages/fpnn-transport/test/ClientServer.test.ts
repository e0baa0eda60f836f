import { assert, describe, expect, it } from "@effect/vitest"
import { freePort, rawPeer } from "@rtm-voice/test-support"
import { Deferred, Duration, Effect, Exit, Fiber, Scope, Stream } from "effect"
import * as Net from "node:net"
import { type Client, Codec, FpnnClient, FpnnErrorAnswer, FpnnServer, Frame, type Server } from "../src/index.js"

const echoServer = (extra: Record<string, Server.QuestHandler> = {}) =>
  FpnnServer.make({
    handlers: {
      echo: (payload) => Effect.succeed(payload),
      fail: () => Effect.fail(new FpnnErrorAnswer({ code: 200040, ex: "not in room", raiser: "Test" })),
      defect: () => Effect.die("boom"),
      never: () => Effect.never,
      ...extra
    }
  })

const client = (endpoint: string, options: Partial<Client.FpnnClientOptions> = {}) =>
  FpnnClient.make({ endpoint, questTimeout: "2 seconds", connectTimeout: "2 seconds", ...options })

describe("client ↔ server over 127.0.0.1", () => {
  it.live("round-trips payloads, int64 exact both ways", () =>
    Effect.gen(function*() {
      const server = yield* echoServer()
      const c = yield* client(server.address)
      const payload = {
        rid: 2n ** 53n + 1n,
        uid: 2n ** 63n - 1n,
        neg: -(2n ** 63n),
        list: [1, 2n ** 40n],
        s: "héllo",
        b: true
      }
      const answer = yield* c.call("echo", payload)
      expect(answer).toEqual({ ...payload, list: [1, 2 ** 40] })
      expect(answer.rid).toBe(2n ** 53n + 1n)
      expect(answer.uid).toBe(2n ** 63n - 1n)
    }))

  it.live("10,000 pipelined calls on one connection, all answered correctly", () =>
    Effect.gen(function*() {
      let connections = 0
      const server = yield* echoServer()
      // The suite's 2 s quest timeout would turn a loaded machine into a failure: the test is
      // about order and correctness, not speed (BENCHMARKS.md measures that).
      const c = yield* client(server.address, { questTimeout: "30 seconds" })
      yield* c.events.pipe(
        Stream.runForEach((e) => Effect.sync(() => e._tag === "Connected" && connections++)),
        Effect.forkScoped
      )
      yield* Effect.sleep(10)
      const results = yield* Effect.forEach(
        Array.from({ length: 10_000 }, (_, i) => i),
        (i) => c.call("echo", { i, big: BigInt(i) * 2n ** 40n }),
        { concurrency: "unbounded" }
      )
      results.forEach((r, i) => {
        expect(r.i).toBe(i)
        expect(BigInt(r.big as number | bigint)).toBe(BigInt(i) * 2n ** 40n)
      })
      expect(connections).toBe(1)
      expect(yield* server.connectionCount).toBe(1)
      // the pending table grew for them and emptied: a second burst matches just as well
      expect(yield* c.pendingCount).toBe(0)
      const again = yield* Effect.forEach(
        Array.from({ length: 5_000 }, (_, i) => i),
        (i) => c.call("echo", { again: i }),
        { concurrency: "unbounded" }
      )
      again.forEach((r, i) => expect(r.again).toBe(i))
      expect(yield* c.pendingCount).toBe(0)
    }))

  it.live("an error answer becomes FpnnRemoteError with code, ex and raiser", () =>
    Effect.gen(function*() {
      const server = yield* echoServer()
      const c = yield* client(server.address)
      const e = yield* c.call("fail", {}).pipe(Effect.flip)
      assert(e._tag === "FpnnRemoteError")
      expect([e.code, e.ex, e.raiser, e.method]).toEqual([200040, "not in room", "Test", "fail"])
      const d = yield* c.call("defect", {}).pipe(Effect.flip)
      assert(d._tag === "FpnnRemoteError")
      expect(d.code).toBe(20001)
      const u = yield* c.call("nope", {}).pipe(Effect.flip)
      assert(u._tag === "FpnnRemoteError")
      expect(u.code).toBe(20004)
      expect(u.message).toContain("nope")
    }))

  it.live("built-in *ping answers the server time in ms", () =>
    Effect.gen(function*() {
      const server = yield* echoServer()
      const c = yield* client(server.address)
      const before = Date.now()
      const { ts } = yield* c.call("*ping", {})
      expect(Number(ts)).toBeGreaterThanOrEqual(before)
      expect(Number(ts)).toBeLessThanOrEqual(Date.now())
    }))

  it.live("oneway quests run their handler and get no answer", () =>
    Effect.gen(function*() {
      const got = yield* Deferred.make<unknown>()
      const server = yield* echoServer({ note: (p) => Deferred.succeed(got, p.n).pipe(Effect.asVoid) })
      const c = yield* client(server.address)
      yield* c.send("note", { n: 7 })
      expect(yield* Deferred.await(got).pipe(Effect.timeout("2 seconds"))).toBe(7)
      expect(yield* c.pendingCount).toBe(0)
    }))

  it.live("a peer that never answers: the per-call timeout fires, then the client default; the connection stays usable", () =>
    Effect.gen(function*() {
      const server = yield* echoServer()
      // the default is far from the per-call timeout, so that a loaded machine cannot blur them
      const c = yield* client(server.address, { questTimeout: "1500 millis" })
      const start = Date.now()
      const e1 = yield* c.call("never", {}, { timeout: "100 millis" }).pipe(Effect.flip)
      const t1 = Date.now() - start
      assert(e1._tag === "FpnnTimeoutError")
      expect(e1.timeoutMillis).toBe(100)
      expect(t1).toBeGreaterThanOrEqual(90)
      expect(t1).toBeLessThan(1500) // the per-call timer fired, not the default's
      const e2 = yield* c.call("never", {}).pipe(Effect.flip)
      assert(e2._tag === "FpnnTimeoutError")
      expect(e2.timeoutMillis).toBe(1500)
      // the timed-out entries are gone and the connection still answers
      expect(yield* c.pendingCount).toBe(0)
      expect((yield* c.call("echo", { ok: 1 })).ok).toBe(1)
      expect(yield* server.connectionCount).toBe(1)
    }))

  it.live("interrupting a call drops its pending entry and a late answer is discarded", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      const server = yield* echoServer({ slow: (p) => Deferred.await(release).pipe(Effect.as(p)) })
      const c = yield* client(server.address)
      const fiber = yield* c.call("slow", { n: 1 }).pipe(Effect.forkChild)
      yield* Effect.sleep(50)
      expect(yield* c.pendingCount).toBe(1)
      yield* Fiber.interrupt(fiber)
      expect(yield* c.pendingCount).toBe(0)
      yield* Deferred.succeed(release, undefined) // the late answer arrives now
      yield* Effect.sleep(50)
      expect((yield* c.call("echo", { n: 2 })).n).toBe(2) // and nothing was mismatched
      const exit = yield* Fiber.await(fiber)
      expect(Exit.hasInterrupts(exit)).toBe(true)
    }))

  it.live("a peer that closes mid-call fails every pending call at once; the next call reconnects", () =>
    Effect.gen(function*() {
      // answers nothing; closes the first connection 100 ms after the quests arrive
      const peer = yield* rawPeer((socket, p) => {
        if (p.connections() === 1) socket.once("data", () => setTimeout(() => socket.destroy(), 100))
        else {
          const reader = new Frame.FrameReader()
          socket.on("data", (d) =>
            reader.push(d, (f) => {
              if (f._tag === "Quest") socket.write(Frame.encodeAnswer(f.seq, 0, Codec.encodePayload({ again: true })))
            }))
        }
      })
      const c = yield* client(peer.endpoint, { questTimeout: "5 seconds" })
      const start = Date.now()
      const errors = yield* Effect.forEach([1, 2, 3], (i) => c.call("x", { i }).pipe(Effect.flip), {
        concurrency: "unbounded"
      })
      expect(Date.now() - start).toBeLessThan(5000) // before the 5 s timeout (the reason says so too)
      for (const e of errors) {
        assert(e._tag === "FpnnConnectionError")
        expect(e.reason?._tag).toBe("Closed")
      }
      expect(yield* c.pendingCount).toBe(0)
      expect(yield* c.call("x", {})).toEqual({ again: true })
      expect(peer.connections()).toBe(2)
    }))

  it.live("closing the client's scope fails pending calls with a Shutdown error once the grace has passed", () =>
    Effect.gen(function*() {
      const server = yield* echoServer()
      const fiber = yield* Effect.gen(function*() {
        const c = yield* client(server.address, { shutdownGrace: "100 millis" })
        const call = yield* c.call("never", {}, { timeout: "5 seconds" }).pipe(Effect.flip, Effect.forkDetach)
        yield* Effect.sleep(50)
        return call
      }).pipe(Effect.scoped)
      const e = yield* Fiber.join(fiber)
      assert(e._tag === "FpnnConnectionError")
      expect(e.reason?._tag).toBe("Shutdown")
    }))

  it.live("connection refused is a tagged Refused error", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const c = yield* client(`127.0.0.1:${port}`)
      const e = yield* c.call("x", {}).pipe(Effect.flip)
      assert(e._tag === "FpnnConnectionError")
      expect(e.reason?._tag).toBe("Refused")
      expect(e.message).toContain(`127.0.0.1:${port}`)
    }))

  it.live("a name that does not resolve is a tagged Unresolved error", () =>
    Effect.gen(function*() {
      const c = yield* client("no-such-host.invalid:13315")
      const e = yield* c.call("x", {}).pipe(Effect.flip)
      assert(e._tag === "FpnnConnectionError")
      expect(e.reason?._tag).toBe("Unresolved")
    }))

  it.live("a peer that accepts but never completes in time: connect timeout", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      // with encryption, connecting includes the *key answer, which never comes
      const c = yield* client(peer.endpoint, {
        connectTimeout: "200 millis",
        encryption: {
          serverKey:
            "bf0d81a3a0c58baa9a37ba93ec10b4749f3af23c5d3ac5214aaaa8a457fd22331e1d386f26805fd13c3442d498d30ca1382a0205f7bf030c915ed8d7c56361b3"
        }
      })
      const start = Date.now()
      const e = yield* c.call("x", {}).pipe(Effect.flip)
      assert(e._tag === "FpnnConnectionError")
      expect(e.reason?._tag).toBe("ConnectTimeout")
      expect(e.message).toContain("within 200 ms") // the connect timeout, not the call's
      expect(Date.now() - start).toBeGreaterThanOrEqual(190)
    }))

  it.live("regressive backoff: after repeated failures calls fail fast until the delay passes", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const c = yield* client(`127.0.0.1:${port}`, {
        reconnect: { immediateRetries: 1, firstDelay: "300 millis", maxDelay: "300 millis", linearSteps: 1 }
      })
      const events: Array<string> = []
      yield* c.events.pipe(Stream.runForEach((e) => Effect.sync(() => events.push(e._tag))), Effect.forkScoped)
      yield* Effect.sleep(10)
      yield* c.connect.pipe(Effect.flip) // failure 1: immediate retry allowed
      yield* c.connect.pipe(Effect.flip) // failure 2: backoff scheduled
      // the next attempt (300 ms away) is beyond this call's timeout: it fails at once, unsent
      const start = Date.now()
      // fails before its own timeout (which would be an FpnnTimeoutError), unsent
      const fast = yield* c.call("x", {}, { timeout: "100 millis" }).pipe(Effect.flip)
      assert(fast._tag === "FpnnConnectionError")
      expect(fast.message).toContain("backed off")
      expect(fast.message).toMatch(/backed off for another \d+ ms/)
      expect(fast.sent).toBe(false)
      expect(fast.retryInMillis).toBeGreaterThan(100)
      expect(events).toContain("ReconnectScheduled")
      expect(events.filter((e) => e === "ConnectFailed")).toHaveLength(2)
      // a call whose timeout covers the next attempt waits for it (and fails with its outcome)
      const waited = yield* c.call("x", {}, { timeout: "2 seconds" }).pipe(Effect.flip)
      expect(Date.now() - start).toBeGreaterThanOrEqual(250)
      assert(waited._tag === "FpnnConnectionError")
      expect(events.filter((e) => e === "ConnectFailed")).toHaveLength(3)
    }))

  it.live("quests pushed by the server are answered and exposed as a stream", () =>
    Effect.gen(function*() {
      let answer: unknown
      const peer = yield* rawPeer((socket) => {
        socket.write(Frame.encodeQuest("ping", 5, Codec.encodePayload({})))
        socket.write(Frame.encodeQuest("pushmsg", undefined, Codec.encodePayload({ mid: 2n ** 60n })))
        const reader = new Frame.FrameReader()
        socket.on("data", (d) =>
          reader.push(d, (f) =>
            void (f._tag === "Answer" &&
              (answer = { seq: f.seq, status: f.status, payload: Codec.decodePayload(f.payload) }))))
      })
      const c = yield* client(peer.endpoint)
      const pushed = yield* c.quests.pipe(Stream.take(2), Stream.runCollect, Effect.forkScoped)
      yield* Effect.sleep(10)
      yield* c.connect
      const quests = yield* Fiber.join(pushed).pipe(Effect.timeout("2 seconds"))
      expect(quests.map((q) => [q.method, q.twoway])).toEqual([["ping", true], ["pushmsg", false]])
      expect(quests[1]!.payload.mid).toBe(2n ** 60n)
      yield* Effect.sleep(50)
      expect(answer).toEqual({ seq: 5, status: 0, payload: {} }) // the oneway push got no answer
    }))

  it.live("keep-alive detects a silent peer and fails the pending call", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {}) // accepts, reads, never answers
      const c = yield* client(peer.endpoint, {
        keepalive: { interval: "100 millis", deadAfter: "300 millis" },
        questTimeout: "5 seconds"
      })
      const start = Date.now()
      const e = yield* c.call("x", {}).pipe(Effect.flip)
      assert(e._tag === "FpnnConnectionError")
      expect(e.reason?._tag).toBe("KeepaliveTimeout")
      expect(Date.now() - start).toBeLessThan(5000) // before the 5 s quest timeout
      // the pings were really sent
      expect(peer.received().includes(Buffer.from("*ping"))).toBe(true)
    }))

  it.live("garbage from the peer (an HTTP error page) closes the connection with a protocol violation", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((socket) =>
        socket.once("data", () => socket.write("HTTP/1.1 400 Bad Request\r\n\r\n"))
      )
      const c = yield* client(peer.endpoint)
      const e = yield* c.call("x", {}).pipe(Effect.flip)
      assert(e._tag === "FpnnConnectionError")
      expect(e.reason?._tag).toBe("ProtocolViolation")
      expect(e.message).toContain("BadMagic")
    }))

  it.live("a header claiming a 4 GiB payload is rejected at once", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((socket) =>
        socket.once("data", () => {
          const h = Buffer.from(Frame.encodeAnswer(1, 0, new Uint8Array(0)))
          h.writeUInt32LE(0xffffffff, 8)
          socket.write(h)
        })
      )
      const c = yield* client(peer.endpoint)
      const e = yield* c.call("x", {}).pipe(Effect.flip)
      assert(e._tag === "FpnnConnectionError")
      expect(e.message).toContain("Oversized")
    }))

  it.live("an answer under the wrong sequence number is dropped; the call times out", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((socket) => {
        const reader = new Frame.FrameReader()
        socket.on("data", (d) =>
          reader.push(d, (f) =>
            void (f._tag === "Quest" && socket.write(Frame.encodeAnswer(f.seq + 1000, 0, Codec.encodePayload({}))))))
      })
      const c = yield* client(peer.endpoint)
      const e = yield* c.call("x", {}, { timeout: "200 millis" }).pipe(Effect.flip)
      expect(e._tag).toBe("FpnnTimeoutError")
    }))

  it.live("the server survives a bad client while serving a good one", () =>
    Effect.gen(function*() {
      const server = yield* echoServer()
      const good = yield* client(server.address)
      expect((yield* good.call("echo", { n: 1 })).n).toBe(1)
      const closed = yield* Effect.callback<boolean>((resume) => {
        const bad = Net.connect(server.port, "127.0.0.1", () => bad.write("GET / HTTP/1.1\r\n\r\n"))
        bad.on("close", () => resume(Effect.succeed(true)))
        bad.on("error", () => {})
      }).pipe(Effect.timeout("2 seconds"))
      expect(closed).toBe(true) // the bad connection was closed by the server
      const oversized = yield* Effect.callback<boolean>((resume) => {
        const bad = Net.connect(server.port, "127.0.0.1", () => {
          const h = Buffer.from(Frame.encodeQuest("echo", 1, new Uint8Array(1)))
          h.writeUInt32LE(0xffffffff, 8)
          bad.write(h)
        })
        bad.on("close", () => resume(Effect.succeed(true)))
        bad.on("error", () => {})
      }).pipe(Effect.timeout("2 seconds"))
      expect(oversized).toBe(true)
      expect((yield* good.call("echo", { n: 2 })).n).toBe(2)
      expect(yield* server.connectionCount).toBe(1)
    }))

  it.live("a oneway *ping-style misuse or non-map payload from a client closes only that connection", () =>
    Effect.gen(function*() {
      const server = yield* echoServer()
      const good = yield* client(server.address)
      yield* good.connect
      const closed = yield* Effect.callback<boolean>((resume) => {
        const bad = Net.connect(
          server.port,
          "127.0.0.1",
          () => bad.write(Frame.encodeQuest("echo", 1, Buffer.from("9101", "hex")))
        )
        bad.on("close", () => resume(Effect.succeed(true)))
        bad.on("error", () => {})
      }).pipe(Effect.timeout("2 seconds"))
      expect(closed).toBe(true)
      expect((yield* good.call("echo", { n: 3 })).n).toBe(3)
    }))

  it.live("events stream reports connected and closed with a reason", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((socket) => setTimeout(() => socket.destroy(), 50))
      const c = yield* client(peer.endpoint)
      const collected = yield* c.events.pipe(Stream.take(2), Stream.runCollect, Effect.forkScoped)
      yield* Effect.sleep(10)
      yield* c.connect
      const events = yield* Fiber.join(collected).pipe(Effect.timeout("2 seconds"))
      expect(events.map((e) => e._tag)).toEqual(["Connected", "Closed"])
      const closed = events[1]!
      assert(closed._tag === "Closed")
      expect(closed.error.reason?._tag).toBe("Closed")
    }))

  it.live("Duration inputs are honoured for timeouts", () =>
    Effect.gen(function*() {
      const server = yield* echoServer()
      const c = yield* client(server.address, { questTimeout: Duration.millis(150) })
      const e = yield* c.call("never", {}).pipe(Effect.flip)
      assert(e._tag === "FpnnTimeoutError")
      expect(e.timeoutMillis).toBe(150)
    }))

  it.live("a client whose server stops reading is disconnected once maxQueuedBytes wait (reason Stalled)", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((socket) => socket.pause()) // accepts, never reads
      const c = yield* client(peer.endpoint, { maxQueuedBytes: 4 * 1024 * 1024, questTimeout: "10 seconds" })
      const blob = new Uint8Array(256 * 1024)
      const start = Date.now()
      const errors = yield* Effect.forEach(
        Array.from({ length: 200 }, (_, i) => i), // 50 MiB: more than the socket buffers and the cap
        (i) => c.call("put", { i, blob }).pipe(Effect.flip),
        { concurrency: "unbounded" }
      )
      expect(Date.now() - start).toBeLessThan(10_000) // before the 10 s timeout (Stalled says so too)
      expect(errors.every((e) => e._tag === "FpnnConnectionError" && e.reason._tag === "Stalled")).toBe(true)
      expect(yield* c.pendingCount).toBe(0)
    }))

  it.live("the server disconnects a client that stops reading its answers, and keeps serving others", () =>
    Effect.gen(function*() {
      const server = yield* FpnnServer.make({
        maxQueuedBytes: 1024 * 1024,
        handlers: { echo: (p) => Effect.succeed(p) }
      })
      const closed = yield* Effect.callback<boolean>((resume) => {
        const greedy = Net.connect(server.port, "127.0.0.1", () => {
          greedy.pause() // never reads: answers pile up on the server
          const blob = new Uint8Array(64 * 1024)
          // 50 MiB of answers
          for (let i = 1; i <= 800; i++) greedy.write(Frame.encodeQuest("echo", i, Codec.encodePayload({ blob })))
        })
        greedy.on("close", () => resume(Effect.succeed(true)))
        greedy.on("error", () => {})
      }).pipe(Effect.timeout("10 seconds"))
      expect(closed).toBe(true)
      const good = yield* client(server.address)
      expect((yield* good.call("echo", { n: 1 })).n).toBe(1)
    }))

  it.live("graceful shutdown: a running handler still answers, a quest arriving meanwhile gets 20014", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const serverScope = yield* Scope.make()
      const server = yield* FpnnServer.make({
        handlers: {
          slow: () =>
            Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.sleep(300)), Effect.as({ done: true })),
          echo: (p) => Effect.succeed(p)
        }
      }).pipe(Scope.provide(serverScope))
      const c = yield* client(server.address)
      const slow = yield* c.call("slow", {}).pipe(Effect.forkChild)
      yield* Deferred.await(started)
      const closing = yield* Scope.close(serverScope, Exit.void).pipe(Effect.forkChild)
      yield* Effect.sleep(50)
      const late = yield* c.call("echo", { n: 1 }).pipe(Effect.flip)
      assert(late._tag === "FpnnRemoteError")
      expect(late.code).toBe(20014)
      expect(yield* Fiber.join(slow)).toEqual({ done: true }) // answered, not cut off
      yield* Fiber.join(closing)
      const after = yield* c.call("echo", {}).pipe(Effect.flip)
      expect(after._tag).toBe("FpnnConnectionError") // and then the server is gone
    }))
})
