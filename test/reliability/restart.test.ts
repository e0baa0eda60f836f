// The emulator restarting under a client with calls in flight: the client reconnects
// with its regressive backoff (no dial storm while the port is closed), every call
// settles — with its answer or a tagged error — within its timeout, none vanishes, and
// calls succeed again once the emulator is back.
import { assert, describe, expect, it } from "@effect/vitest"
import { type Client, Reconnect } from "@rtm-voice/fpnn-transport"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Exit, Fiber, Scope, Stream } from "effect"
import {
  eventually,
  fiberCounter,
  freePort,
  guardProcess,
  PID,
  SECRET,
  SLACK,
  tcpSockets,
  voiceClient
} from "./support.js"

guardProcess()

const ROOM = 77
const TIMEOUT = 500
const TAGS = new Set(["FpnnConnectionError", "FpnnTimeoutError", "RtmError"])

interface Outcome {
  readonly at: number
  readonly millis: number
  readonly ok: boolean
  readonly value?: number
  readonly tag?: string
  readonly reason?: string
}

describe("emulator restart between calls", () => {
  it.live("4 callers across two restarts: every call settles in time, with 3 members or a tagged error; backoff bounds the dials", () => {
    const fibers = fiberCounter()
    const socketsBefore = tcpSockets()
    return Effect.gen(function*() {
      const port = yield* freePort
      const start = Effect.gen(function*() {
        const scope = yield* Scope.make()
        const emulator = yield* makeEmulator({ pid: PID, secret: SECRET, port }).pipe(Scope.provide(scope))
        return { emulator, scope }
      })
      let running = yield* start
      const setup = Effect.scoped(
        Effect.gen(function*() {
          const { client } = yield* voiceClient(running.emulator.address)
          yield* client.pullUserIntoVoiceRoom(ROOM, [1, 2, 3])
        })
      )
      yield* setup

      const outcomes: Array<Outcome> = []
      let issued = 0
      let stop = false
      const events: Array<Client.ConnectionEvent> = []
      const result = yield* Effect.scoped(
        Effect.gen(function*() {
          const { client, fpnn } = yield* voiceClient(`127.0.0.1:${port}`, {}, {
            reconnect: { immediateRetries: 2, firstDelay: "100 millis", maxDelay: "300 millis", linearSteps: 2 }
          })
          yield* fpnn.events.pipe(Stream.runForEach((e) => Effect.sync(() => events.push(e))), Effect.forkScoped)
          yield* Effect.sleep(5)
          const worker = Effect.gen(function*() {
            while (!stop) {
              issued++
              const t0 = Date.now()
              const exit = yield* Effect.exit(client.getVoiceRoomMemberCount(ROOM, { timeout: TIMEOUT }))
              const millis = Date.now() - t0
              if (Exit.isSuccess(exit)) outcomes.push({ at: t0, millis, ok: true, value: exit.value })
              else {
                const e = exit.cause.reasons[0]
                const error = e?._tag === "Fail" ? e.error : undefined
                outcomes.push({
                  at: t0,
                  millis,
                  ok: false,
                  tag: (error as { _tag?: string } | undefined)?._tag ?? `not a failure: ${e?._tag}`,
                  reason: String((error as { reason?: { _tag?: unknown } } | undefined)?.reason?._tag)
                })
                yield* Effect.sleep(5) // a caller that retries, but not in a hot loop
              }
            }
          })
          const workers = yield* Effect.forEach([1, 2, 3, 4], () => Effect.forkChild(worker))
          const marks: Array<number> = []
          for (let round = 0; round < 2; round++) {
            yield* Effect.sleep(300)
            marks.push(Date.now())
            yield* Scope.close(running.scope, Exit.void) // the emulator stops (rooms are lost)
            yield* Effect.sleep(400)
            running = yield* start // same port, fresh state
            yield* setup
            marks.push(Date.now())
          }
          yield* Effect.sleep(1000) // longer than the longest backoff (300 ms)
          stop = true
          yield* Fiber.joinAll(workers)
          return { marks, pending: yield* fpnn.pendingCount }
        })
      )
      yield* Scope.close(running.scope, Exit.void)

      // none vanished: every call issued has an outcome
      expect(outcomes.length).toBe(issued)
      expect(result.pending).toBe(0)
      // every call settled within its timeout (plus scheduling slack)
      expect(Math.max(...outcomes.map((o) => o.millis))).toBeLessThan(TIMEOUT + SLACK)
      // answers are correct: 3 members (0 right after a restart, before the room is set up again)
      for (const o of outcomes.filter((o) => o.ok)) expect([0, 3]).toContain(o.value)
      expect(outcomes.filter((o) => o.ok && o.at < result.marks[0]!).every((o) => o.value === 3)).toBe(true)
      // failures are tagged errors only
      const failures = outcomes.filter((o) => !o.ok)
      expect(failures.length).toBeGreaterThan(0) // the restarts really were felt
      for (const f of failures) expect(TAGS, `${f.tag} (${f.reason})`).toContain(f.tag)
      // recovery: calls started after the backoff ceiling past the last restart all succeed
      const recovered = outcomes.filter((o) => o.at > result.marks[3]! + 400)
      expect(recovered.length).toBeGreaterThan(10)
      expect(recovered.every((o) => o.ok && o.value === 3)).toBe(true)
      // reconnects: one connection per emulator incarnation, failed dials bounded by backoff
      const count = (tag: Client.ConnectionEvent["_tag"]) => events.filter((e) => e._tag === tag).length
      expect(count("Connected")).toBeGreaterThanOrEqual(3)
      expect(count("Closed")).toBeGreaterThanOrEqual(2)
      expect(count("ReconnectScheduled")).toBeGreaterThanOrEqual(1)
      // ~1,000 failed calls were made while the port was closed; backoff allowed only a few dials
      expect(count("ConnectFailed")).toBeLessThan(20)
      expect(failures.length).toBeGreaterThan(count("ConnectFailed"))

      if (process.env.REL_DEBUG) {
        console.log(
          JSON.stringify({
            issued,
            failures: failures.length,
            dials: count("ConnectFailed"),
            connected: count("Connected"),
            tags: [...new Set(failures.map((f) => `${f.tag}/${f.reason}`))],
            fibers: fibers.started
          })
        )
      }
      // nothing left behind: fibers, sockets
      expect(yield* eventually(() => fibers.live, (n) => n === 0)).toBe(0)
      expect(fibers.started).toBeGreaterThan(10)
      expect(yield* eventually(tcpSockets, (n) => n <= socketsBefore)).toBeLessThanOrEqual(socketsBefore)
    }).pipe(fibers.track)
  })

  it.live("default settings: the first call after the gateway is back succeeds within 1 s (delays ≤ 960 ms)", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const start = Effect.gen(function*() {
        const scope = yield* Scope.make()
        const emulator = yield* makeEmulator({ pid: PID, secret: SECRET, port }).pipe(Scope.provide(scope))
        return { emulator, scope }
      })
      let running = yield* start
      const events: Array<{ readonly at: number; readonly event: Client.ConnectionEvent }> = []
      const outcomes: Array<{
        readonly at: number
        readonly end: number
        readonly ok: boolean
        readonly sent?: boolean
      }> = []
      const measured = yield* Effect.scoped(
        Effect.gen(function*() {
          // default reconnect schedule, default 5 s timeout
          const { client, fpnn } = yield* voiceClient(`127.0.0.1:${port}`)
          yield* fpnn.events.pipe(
            Stream.runForEach((event) => Effect.sync(() => events.push({ at: Date.now(), event }))),
            Effect.forkScoped
          )
          yield* Effect.sleep(5)
          expect(yield* client.getVoiceRoomMemberCount(ROOM)).toBe(0)
          let stop = false
          // two callers run all along, as a service's traffic does
          const worker = Effect.gen(function*() {
            while (!stop) {
              const at = Date.now()
              const exit = yield* Effect.exit(client.getVoiceRoomMemberCount(ROOM))
              const end = Date.now()
              if (Exit.isSuccess(exit)) outcomes.push({ at, end, ok: true })
              else {
                const e = exit.cause.reasons[0]
                const error = e?._tag === "Fail" ? e.error as { sent?: boolean } : undefined
                outcomes.push({ at, end, ok: false, ...(error?.sent === undefined ? {} : { sent: error.sent }) })
              }
              yield* Effect.sleep(20)
            }
          })
          const workers = yield* Effect.forEach([1, 2], () => Effect.forkChild(worker))
          yield* Effect.sleep(200)
          yield* Scope.close(running.scope, Exit.void) // the gateway goes away
          yield* Effect.sleep(2500) // long enough for the schedule to reach its cap
          running = yield* start // back, on the same port
          const backAt = Date.now()
          yield* Effect.sleep(1500)
          stop = true
          yield* Fiber.joinAll(workers)
          return { backAt }
        })
      )
      yield* Scope.close(running.scope, Exit.void)
      const { backAt } = measured
      const delays = events.flatMap((e) => (e.event._tag === "ReconnectScheduled" ? [e.event.delayMillis] : []))
      // the default schedule never waits more than ~1 s between attempts
      expect(delays.length).toBeGreaterThan(3)
      expect(Math.max(...delays)).toBeLessThanOrEqual(Reconnect.FAST_CAP_MILLIS * 1.2)
      // the first attempt after the gateway is back connects (at most one refused dial
      // can race with the listen)
      const reconnected = events.find((e) => e.event._tag === "Connected" && e.at >= backAt)
      assert(reconnected !== undefined)
      const failedAfter = events.filter((e) =>
        e.event._tag === "ConnectFailed" && e.at >= backAt && e.at < reconnected.at
      )
      expect(failedAfter.length).toBeLessThanOrEqual(1)
      // measured recovery: gateway back → first successful call (the schedule's cap, plus slack)
      const firstOk = outcomes.find((o) => o.ok && o.end >= backAt)
      assert(firstOk !== undefined)
      const recovery = firstOk.end - backAt
      expect(recovery).toBeLessThan(Reconnect.FAST_CAP_MILLIS * 1.2 + SLACK)
      // every failure during the outage was reported as not sent (the one in flight at the loss excepted)
      const failures = outcomes.filter((o) => !o.ok)
      expect(failures.length).toBeGreaterThan(0)
      expect(failures.filter((o) => o.sent !== false).length).toBeLessThanOrEqual(2)
      // after the recovery, every call succeeds
      expect(outcomes.filter((o) => o.at > firstOk.end).every((o) => o.ok)).toBe(true)
      if (process.env.REL_DEBUG) {
        console.log(JSON.stringify({ recovery, delays: delays.map(Math.round), failures: failures.length }))
      }
    }))
})
