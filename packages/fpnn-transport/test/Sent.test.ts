// `sent` on every failure path of a call, over real sockets on 127.0.0.1: false when no
// byte of the quest left the process (it cannot have taken effect), true when it was
// written and the outcome is unknown. "May have taken effect" appears only when sent.
import { assert, describe, it } from "@effect/vitest"
import { freePort, rawPeer } from "@rtm-voice/test-support"
import { Effect, Fiber, Scope } from "effect"
import {
  type Client,
  Codec,
  type FpnnCallError,
  FpnnClient,
  type FpnnOptionsError,
  FpnnServer,
  Frame
} from "../src/index.js"

// The FPNN.md §12 example server key: a peer that never answers `*key` keeps the client connecting.
const SERVER_KEY =
  "bf0d81a3a0c58baa9a37ba93ec10b4749f3af23c5d3ac5214aaaa8a457fd22331e1d386f26805fd13c3442d498d30ca1382a0205f7bf030c915ed8d7c56361b3"

const client = (endpoint: string, options: Partial<Client.FpnnClientOptions> = {}) =>
  FpnnClient.make({ endpoint, questTimeout: "5 seconds", connectTimeout: "5 seconds", ...options })

const MAY = /may (still|or may not)/

const assertNotSent = (e: FpnnCallError | FpnnOptionsError, tag: string, reason?: string) => {
  assert.strictEqual(e._tag, tag, e.message)
  if (reason !== undefined) assert.strictEqual((e as { reason?: { _tag: string } }).reason?._tag, reason, e.message)
  assert.isFalse(e.sent, e.message)
  assert.notMatch(e.message, MAY)
}

const assertSent = (e: FpnnCallError | FpnnOptionsError, tag: string, reason?: string) => {
  assert.strictEqual(e._tag, tag, e.message)
  if (reason !== undefined) assert.strictEqual((e as { reason?: { _tag: string } }).reason?._tag, reason, e.message)
  assert.isTrue(e.sent, e.message)
  assert.match(e.message, MAY)
}

describe("sent / not sent", () => {
  it.live("refused: not sent", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const c = yield* client(`127.0.0.1:${port}`)
      assertNotSent(yield* Effect.flip(c.call("x", {})), "FpnnConnectionError", "Refused")
    }))

  it.live("unresolved: not sent", () =>
    Effect.gen(function*() {
      const c = yield* client("no-such-host.invalid:13315")
      assertNotSent(yield* Effect.flip(c.call("x", {})), "FpnnConnectionError", "Unresolved")
    }))

  it.live("connect timeout (the key exchange never answered): not sent", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      const c = yield* client(peer.endpoint, { connectTimeout: "200 millis", encryption: { serverKey: SERVER_KEY } })
      assertNotSent(yield* Effect.flip(c.call("x", {})), "FpnnConnectionError", "ConnectTimeout")
    }))

  it.live("the call's timeout runs out while still connecting: FpnnTimeoutError, not sent", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      const c = yield* client(peer.endpoint, { connectTimeout: "10 seconds", encryption: { serverKey: SERVER_KEY } })
      const e = yield* Effect.flip(c.call("x", {}, { timeout: "150 millis" }))
      assertNotSent(e, "FpnnTimeoutError")
      assert.include(e.message, "was not sent")
    }))

  it.live("backing off after failures: fails at once, not sent, with retryInMillis", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const c = yield* client(`127.0.0.1:${port}`, {
        reconnect: { immediateRetries: 0, firstDelay: "30 seconds", maxDelay: "30 seconds", linearSteps: 1 }
      })
      yield* Effect.flip(c.connect)
      const e = yield* Effect.flip(c.call("x", {}))
      assertNotSent(e, "FpnnConnectionError", "Refused")
      assert.isTrue(e._tag === "FpnnConnectionError" && e.retryInMillis !== undefined && e.retryInMillis > 0)
      assert.include(e.message, "backed off")
    }))

  it.live("encryption failure (the peer closes on *key): not sent", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((socket) => socket.once("data", () => socket.destroy()))
      const c = yield* client(peer.endpoint, { encryption: { serverKey: SERVER_KEY } })
      assertNotSent(yield* Effect.flip(c.call("x", {})), "FpnnConnectionError", "Encryption")
    }))

  it.live("shut down before writing (still connecting): not sent", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      const scope = yield* Scope.make()
      const c = yield* client(peer.endpoint, { encryption: { serverKey: SERVER_KEY } }).pipe(Scope.provide(scope))
      const fiber = yield* Effect.forkChild(Effect.flip(c.call("x", {})))
      yield* Effect.sleep(50)
      yield* Scope.close(scope, Effect.void as never)
      assertNotSent(yield* Fiber.join(fiber), "FpnnConnectionError", "Shutdown")
    }))

  it.live("validation (a quest over the frame limit, a value that cannot be encoded): not sent, nothing written", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      const c = yield* client(peer.endpoint, { maxFrameBytes: 1024 })
      yield* c.connect
      assertNotSent(yield* Effect.flip(c.call("x", { big: "x".repeat(4096) })), "FpnnProtocolError", "Oversized")
      assertNotSent(yield* Effect.flip(c.call("x", { n: 2n ** 64n })), "FpnnProtocolError", "Encode")
      yield* Effect.sleep(20)
      assert.strictEqual(peer.received().length, 0)
    }))

  it.live("a call on a connection that was already lost: not sent", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((socket) => socket.once("data", () => socket.destroy()))
      const c = yield* client(peer.endpoint, {
        reconnect: { immediateRetries: 0, firstDelay: "30 seconds", maxDelay: "30 seconds", linearSteps: 1 }
      })
      const lost = yield* Effect.flip(c.call("x", {}))
      assertSent(lost, "FpnnConnectionError", "Closed")
      // The loss was within the failure window: reconnecting is backed off, the next call is not sent.
      const next = yield* Effect.flip(c.call("x", {}))
      assertNotSent(next, "FpnnConnectionError", "Closed")
    }))

  it.live("written, then the connection is lost: sent (the outcome is unknown)", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((socket) => socket.once("data", () => setTimeout(() => socket.destroy(), 20)))
      const c = yield* client(peer.endpoint)
      const e = yield* Effect.flip(c.call("x", {}))
      assertSent(e, "FpnnConnectionError", "Closed")
      assert.isAbove(peer.received().length, 0)
    }))

  it.live("written, then no answer in time (connected fast path and connecting slow path): sent", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      const slow = yield* client(peer.endpoint)
      assertSent(yield* Effect.flip(slow.call("x", {}, { timeout: "200 millis" })), "FpnnTimeoutError")
      const fast = yield* client(peer.endpoint)
      yield* fast.connect
      assertSent(yield* Effect.flip(fast.call("x", {}, { timeout: "200 millis" })), "FpnnTimeoutError")
    }))

  it.live("a timeout beyond 2^31-1 ms on a connected client: no TimeoutOverflowWarning, the call still waits", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const onWarning = (w: Error) => warnings.push(w.name)
      process.on("warning", onWarning)
      yield* Effect.addFinalizer(() => Effect.sync(() => process.off("warning", onWarning)))
      const peer = yield* rawPeer(() => {})
      const c = yield* client(peer.endpoint, { questTimeout: 2 ** 40 })
      yield* c.connect
      const fiber = yield* Effect.forkChild(c.call("x", {}))
      yield* Effect.sleep(100)
      assert.isUndefined(fiber.pollUnsafe(), "the call is still pending")
      yield* Fiber.interrupt(fiber)
      assert.notInclude(warnings, "TimeoutOverflowWarning")
    }))

  it.live("an error answer: FpnnRemoteError, sent", () =>
    Effect.gen(function*() {
      const server = yield* FpnnServer.make<never>({ handlers: {} })
      const c = yield* client(server.address)
      const e = yield* Effect.flip(c.call("nope", {}))
      assert.isTrue(e._tag === "FpnnRemoteError" && e.sent && e.code === 20004)
    }))

  it.live("an error answer whose ex is msgpack bin is read as text", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer((socket) =>
        socket.once("data", (d: Buffer) => {
          const seq = d.readUInt32LE(12)
          socket.write(
            Frame.encodeAnswer(
              seq,
              1,
              Codec.encodePayload({ code: 200040, ex: new TextEncoder().encode("not in room") })
            )
          )
        })
      )
      const c = yield* client(peer.endpoint)
      const e = yield* Effect.flip(c.call("x", {}))
      assert.isTrue(e._tag === "FpnnRemoteError" && e.ex === "not in room" && e.code === 200040, e.message)
    }))

  it.live("the Layer's client reports the same (a sent timeout says it may still take effect)", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      const e = yield* Effect.flip(
        Effect.gen(function*() {
          const c = yield* FpnnClient
          return yield* c.call("x", {}, { timeout: "150 millis" })
        }).pipe(Effect.provide(FpnnClient.layer({ endpoint: peer.endpoint })))
      )
      assertSent(e as FpnnCallError, "FpnnTimeoutError")
    }))
})
