// The reconnect schedule (stepped directly, and driving a real client under TestClock),
// the connection state, and the graceful close.
import { assert, describe, expect, it } from "@effect/vitest"
import { freePort } from "@rtm-voice/test-support"
import { Duration, Effect, Exit, Fiber, Metric, Schedule, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import { connectionError } from "../src/Errors.js"
import { type Client, FpnnClient, FpnnMetrics, FpnnServer, Reconnect } from "../src/index.js"

const refused = (elapsedMillis = 1, connected = false): Reconnect.ReconnectInput => ({
  error: connectionError("Refused", { endpoint: "127.0.0.1:1", sent: false }),
  elapsedMillis,
  connected
})

/** The delays (ms) a schedule gives for `inputs`, stepped at time 0. */
const delays = (schedule: Reconnect.ReconnectSchedule, inputs: ReadonlyArray<Reconnect.ReconnectInput>) =>
  Effect.gen(function*() {
    const step = yield* Schedule.toStep(schedule)
    const out: Array<number> = []
    for (const input of inputs) {
      const [, delay] = yield* step(0, input)
      out.push(Duration.toMillis(delay))
    }
    return out
  })

/** Waits in real time (the test's clock is a TestClock). */
const realSleep = (millis: number) => TestClock.withLive(Effect.sleep(millis))

/** Polls `read` in real time until `done` holds (or ~2 s passed); returns the last value. */
const eventually = <A>(read: () => A, done: (a: A) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200 && !done(read()); i++) yield* realSleep(10)
    return read()
  })

const collect = <A>(stream: Stream.Stream<A>) =>
  Effect.gen(function*() {
    const out: Array<A> = []
    yield* stream.pipe(Stream.runForEach((a) => Effect.sync(() => out.push(a))), Effect.forkScoped)
    yield* realSleep(5)
    return out
  })

describe("reconnect schedules", () => {
  it.effect("fast (the default): 100, 200, 400, 800, 800 ms ... each within ±20 %", () =>
    Effect.gen(function*() {
      const got = yield* delays(Reconnect.fast, Array.from({ length: 8 }, () => refused()))
      const base = [100, 200, 400, 800, 800, 800, 800, 800]
      got.forEach((d, i) => {
        expect(d).toBeGreaterThanOrEqual(base[i]! * 0.8)
        expect(d).toBeLessThanOrEqual(base[i]! * 1.2)
      })
      // never more than ~1 s between two attempts
      expect(Math.max(...got)).toBeLessThanOrEqual(Reconnect.FAST_CAP_MILLIS * 1.2)
    }))

  it.effect("regressive: five immediate retries, then 2 s growing linearly to 120 s; a long-lived attempt resets", () =>
    Effect.gen(function*() {
      const got = yield* delays(Reconnect.regressive(), [
        ...Array.from({ length: 11 }, () => refused()),
        refused(5000, true), // lived longer than the 1.5 s window
        refused()
      ])
      expect(got).toEqual([0, 0, 0, 0, 0, 25_600, 49_200, 72_800, 96_400, 120_000, 120_000, 0, 0])
    }))

  it.effect("a regressive strategy given as settings is the regressive schedule", () =>
    Effect.gen(function*() {
      const strategy: Reconnect.RegressiveStrategy = {
        immediateRetries: 1,
        firstDelay: "100 millis",
        maxDelay: "300 millis",
        linearSteps: 2
      }
      const inputs = Array.from({ length: 4 }, () => refused())
      expect(yield* delays(Reconnect.toReconnectSchedule(strategy), inputs)).toEqual([0, 200, 300, 300])
      expect(yield* delays(Reconnect.regressive(strategy), inputs)).toEqual([0, 200, 300, 300])
    }))
})

describe("the client's backoff, driven by TestClock", () => {
  const client = (endpoint: string, options: Partial<Client.FpnnClientOptions> = {}) =>
    FpnnClient.make({ endpoint, questTimeout: "5 seconds", connectTimeout: "2 seconds", ...options })

  it.effect("no dial before the schedule's delay; a call inside its timeout waits for the attempt and succeeds", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const c = yield* client(`127.0.0.1:${port}`, { reconnect: Schedule.spaced("1 second") })
      const events = yield* collect(c.events)
      const failed = () => events.filter((e) => e._tag === "ConnectFailed").length

      const first = yield* Effect.flip(c.connect)
      expect(first.reason._tag).toBe("Refused")
      const state = yield* c.state
      assert(state._tag === "BackingOff")
      expect(state.until - (yield* Effect.clockWith((clock) => clock.currentTimeMillis))).toBe(1000)
      expect(state.attempt).toBe(1)

      // beyond this call's timeout: fails at once, not sent, saying when the attempt is due
      const fast = yield* Effect.flip(c.call("echo", {}, { timeout: "500 millis" }))
      assert(fast._tag === "FpnnConnectionError")
      expect(fast.sent).toBe(false)
      expect(fast.retryInMillis).toBe(1000)
      expect(failed()).toBe(1)

      // inside this call's timeout: it waits; nothing is dialled until the clock moves
      const waiting = yield* Effect.forkChild(c.call("echo", { n: 1 }))
      yield* realSleep(100)
      expect(failed()).toBe(1)
      expect(events.filter((e) => e._tag === "Connected")).toHaveLength(0)
      const server = yield* FpnnServer.make({ port, handlers: { echo: (p) => Effect.succeed(p) } })
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(waiting)).toEqual({ n: 1 })
      expect(failed()).toBe(1)
      expect((yield* c.state)._tag).toBe("Connected")
      expect(yield* server.connectionCount).toBe(1)
    }))

  it.effect("a connection that proved good restarts the schedule from its first delay", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const c = yield* client(`127.0.0.1:${port}`, { reconnect: Schedule.exponential("1 second") })
      const events = yield* collect(c.events)
      const scheduled = () => events.flatMap((e) => (e._tag === "ReconnectScheduled" ? [e.delayMillis] : []))
      yield* Effect.flip(c.connect)
      yield* TestClock.adjust("1 second")
      yield* Effect.flip(c.connect)
      expect(scheduled()).toEqual([1000, 2000])
      // the gateway comes back: the next attempt connects, a call is answered, then it goes away
      const serverScope = yield* Scope.make()
      yield* FpnnServer.make({ port, handlers: { echo: (p) => Effect.succeed(p) } }).pipe(Scope.provide(serverScope))
      yield* TestClock.adjust("2 seconds")
      expect(yield* c.call("echo", { ok: true })).toEqual({ ok: true })
      yield* Scope.close(serverScope, Exit.void)
      yield* eventually(scheduled, (s) => s.length === 3)
      expect(scheduled()).toEqual([1000, 2000, 1000])
    }))

  it.effect("a schedule that ends stops the dialling: calls fail at once, not sent; connect starts it again", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const c = yield* client(`127.0.0.1:${port}`, { reconnect: Schedule.recurs(1) })
      const events = yield* collect(c.events)
      yield* Effect.flip(c.connect) // the schedule's one recurrence: retry at once
      yield* Effect.flip(c.connect) // the schedule ends
      const state = yield* c.state
      assert(state._tag === "Closed")
      expect(state.final).toBe(true)
      const e = yield* Effect.flip(c.call("echo", {}))
      assert(e._tag === "FpnnConnectionError")
      expect(e.sent).toBe(false)
      expect(e.reason._tag).toBe("Refused")
      expect(events.filter((e) => e._tag === "ConnectFailed")).toHaveLength(2)
      // an explicit connect dials again
      yield* FpnnServer.make({ port, handlers: { echo: (p) => Effect.succeed(p) } })
      yield* c.connect
      expect(yield* c.call("echo", { back: 1 })).toEqual({ back: 1 })
    }))
})

describe("connection state", () => {
  it.live("Idle → Connecting → Connected → (server gone) → BackingOff/Closed → … → Closed (final) at shutdown", () =>
    Effect.gen(function*() {
      const serverScope = yield* Scope.make()
      const server = yield* FpnnServer.make({ handlers: { echo: (p) => Effect.succeed(p) } }).pipe(
        Scope.provide(serverScope)
      )
      const states: Array<Client.ConnectionState> = []
      const clientScope = yield* Scope.make()
      const c = yield* FpnnClient.make({ endpoint: server.address }).pipe(Scope.provide(clientScope))
      yield* c.stateChanges.pipe(Stream.runForEach((s) => Effect.sync(() => states.push(s))), Effect.forkScoped)
      yield* Effect.sleep(5)
      yield* c.call("echo", {})
      yield* Scope.close(serverScope, Exit.void)
      yield* Effect.sleep(50)
      yield* Scope.close(clientScope, Exit.void)
      yield* Effect.sleep(10)
      const tags = states.map((s) => s._tag)
      expect(tags.slice(0, 3)).toEqual(["Idle", "Connecting", "Connected"])
      const afterLoss = states[3]!
      assert(afterLoss._tag === "BackingOff" || afterLoss._tag === "Closed")
      expect(afterLoss.error.reason._tag).toBe("Closed")
      const last = states.at(-1)!
      assert(last._tag === "Closed")
      expect(last.final).toBe(true)
      expect(last.error.reason._tag).toBe("Shutdown")
    }))
})

describe("graceful close", () => {
  const slowServer = FpnnServer.make({
    handlers: {
      slow: (p) => Effect.as(Effect.sleep(300), p),
      slower: (p) => Effect.as(Effect.sleep(3000), p),
      echo: (p) => Effect.succeed(p)
    }
  })

  it.live("closing refuses new calls at once (not sent), and a call in flight still gets its answer", () =>
    Effect.gen(function*() {
      const server = yield* slowServer
      const scope = yield* Scope.make()
      const c = yield* FpnnClient.make({ endpoint: server.address }).pipe(Scope.provide(scope))
      const events: Array<Client.ConnectionEvent> = []
      yield* c.events.pipe(Stream.runForEach((e) => Effect.sync(() => events.push(e))), Effect.forkScoped)
      yield* c.call("echo", {})
      // a call in flight on a fiber of its own (a request handler, a Promise caller)
      const inFlight = yield* Effect.forkDetach(c.call("slow", { n: 7 }))
      yield* Effect.sleep(50)
      // the calls pending, as a metric read at export time
      const [address, port] = server.address.split(":") as [string, string]
      const pending = Metric.withAttributes(FpnnMetrics.pendingCalls, {
        "server.address": address,
        "server.port": port
      })
      expect((yield* Metric.value(pending)).value).toBe(1)
      const closing = yield* Effect.forkDetach(Scope.close(scope, Exit.void))
      yield* Effect.sleep(20)
      const refused = yield* Effect.flip(c.call("echo", {}))
      // at once: the call in flight is still waiting for its answer
      expect(inFlight.pollUnsafe()).toBeUndefined()
      assert(refused._tag === "FpnnConnectionError")
      expect(refused.reason._tag).toBe("Shutdown")
      expect(refused.sent).toBe(false)
      expect(yield* Fiber.join(inFlight)).toEqual({ n: 7 })
      expect((yield* Metric.value(pending)).value).toBe(0)
      yield* Fiber.join(closing)
      expect(events.filter((e) => e._tag === "Closed")).toHaveLength(1)
    }))

  it.live("after the grace, the calls still in flight fail as sent (Shutdown) and the close ends", () =>
    Effect.gen(function*() {
      const server = yield* slowServer
      const scope = yield* Scope.make()
      const c = yield* FpnnClient.make({ endpoint: server.address, shutdownGrace: "100 millis" }).pipe(
        Scope.provide(scope)
      )
      yield* c.call("echo", {})
      const inFlight = yield* Effect.forkDetach(Effect.flip(c.call("slower", {})))
      yield* Effect.sleep(20)
      const start = Date.now()
      yield* Scope.close(scope, Exit.void)
      const closedAfter = Date.now() - start
      const e = yield* Fiber.join(inFlight)
      assert(e._tag === "FpnnConnectionError")
      expect(e.reason._tag).toBe("Shutdown")
      expect(e.sent).toBe(true)
      // the close waited for the grace, not for the handler's 3 s
      expect(closedAfter).toBeGreaterThanOrEqual(90)
      expect(closedAfter).toBeLessThan(3000)
    }))
})

describe("the options of this file, checked when the client is built", () => {
  const bad = (options: Record<string, unknown>) =>
    Effect.flip(FpnnClient.make({ endpoint: "127.0.0.1:1", ...options } as unknown as Client.FpnnClientOptions))

  it.effect("shutdownGrace, reconnect and logAnnotations name themselves when wrong", () =>
    Effect.gen(function*() {
      expect((yield* bad({ shutdownGrace: -1 })).option).toBe("shutdownGrace")
      expect((yield* bad({ shutdownGrace: "soon" })).option).toBe("shutdownGrace")
      expect((yield* bad({ reconnect: 5 })).option).toBe("reconnect")
      expect((yield* bad({ reconnect: { firstDelay: -1 } })).option).toBe("reconnect.firstDelay")
      expect((yield* bad({ logAnnotations: { pid: {} } })).option).toBe("logAnnotations.pid")
      // a zero grace is allowed: close at once
      const scope = yield* Scope.make()
      yield* FpnnClient.make({ endpoint: "127.0.0.1:1", shutdownGrace: 0, reconnect: Schedule.spaced("1 second") })
        .pipe(
          Scope.provide(scope)
        )
      yield* Scope.close(scope, Exit.void)
    }))
})
