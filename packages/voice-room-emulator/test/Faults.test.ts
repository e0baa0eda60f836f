// Fault injection against the real SDK over real sockets: for each kind, the tagged error
// the caller sees, whether the quest was sent, and whether the emulator's state changed.
import { assert, describe, it } from "@effect/vitest"
import { FpnnClient } from "@rtm-voice/fpnn-transport"
import { makeVoiceRoomClient, RtmError, VoiceRoomClient } from "@rtm-voice/voice-room"
import { Effect, Exit, Fiber, Layer, Result, Schedule, Scope } from "effect"
import { TestClock } from "effect/testing"
import {
  type EmulatorOptions,
  type Fault,
  FaultEngine,
  makeEmulator,
  parseFault as parseFaultResult,
  TEST_PID,
  TEST_SECRET,
  VoiceRoomEmulator
} from "../src/index.js"

/** The fault, or the error (parseFault returns a Result). */
const parseFault = (text: string) => Result.merge(parseFaultResult(text))

const kit = (options: Partial<EmulatorOptions> & { readonly timeout?: number } = {}) =>
  VoiceRoomEmulator.layerClient(options)

describe("fault injection", () => {
  it.live("error: an RTM code answers instead of the operation; nothing is applied; counted", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      const e = yield* Effect.flip(client.pullUserIntoVoiceRoom(42, [1001]))
      assert.strictEqual(e._tag, "RtmError")
      if (e._tag !== "RtmError") return
      assert.strictEqual(e.code, 200010)
      assert.strictEqual(e.reason._tag, "FrequencyLimited")
      assert.isTrue(e.isRetryable)
      assert.strictEqual(e.sent, true)
      assert.strictEqual(e.ex, "slow down")
      assert.strictEqual(yield* emulator.room(42n), undefined)
      // times: 1 → exhausted; the next pull is served
      yield* client.pullUserIntoVoiceRoom(42, [1001])
      assert.deepStrictEqual((yield* emulator.room(42n))?.members, [1001n])
      const { faults } = yield* emulator.state
      assert.strictEqual(faults.injected.error, 1)
      assert.deepStrictEqual(faults.log, [{ kind: "error", method: "pullIntoVoiceRoom", count: 1 }])
    }).pipe(Effect.provide(kit({ faults: [{ kind: "error", code: 200010, ex: "slow down", times: 1 }] }))))

  it.live("error: an FPNN code (20003) maps to its reason; only the named methods get it", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const e = yield* Effect.flip(client.getVoiceRoomMemberCount(1))
      assert.strictEqual(e._tag === "RtmError" && e.code, 20003)
      assert.strictEqual(e._tag === "RtmError" && e.reason._tag, "ServerTimeout")
      // the wire name matches too, and other methods are untouched
      assert.deepStrictEqual(yield* client.getVoiceRoomList(), [])
      const e2 = yield* Effect.flip(client.getVoiceRoomMembers(1))
      assert.strictEqual(e2._tag === "RtmError" && e2.code, 200002)
      // an injected code and the one a test builds by hand agree, reason included
      assert.deepStrictEqual(e2._tag === "RtmError" && e2.reason, RtmError.fromCode(200002).reason)
      assert.strictEqual((yield* (yield* VoiceRoomEmulator).state).faults.injected.error, 2)
    }).pipe(Effect.provide(kit({
      faults: [
        { kind: "error", code: 20003, method: "getVoiceRoomMemberCount" },
        { kind: "error", code: 200002, method: ["getVoiceRoomMembers", "getRTCRoomMembers"] }
      ]
    }))))

  it.live("latency: slower than the call timeout is FpnnTimeoutError (sent); the write lands late", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      const e = yield* Effect.flip(client.pullUserIntoVoiceRoom(7, [1], { timeout: 50 }))
      assert.strictEqual(e._tag, "FpnnTimeoutError")
      assert.strictEqual(e.sent, true)
      assert.strictEqual(yield* emulator.room(7n), undefined) // not applied yet: delayed
      yield* emulator.awaitQuests("pullUserIntoVoiceRoom")
      // with a timeout above the latency the call succeeds
      assert.strictEqual(yield* client.getVoiceRoomMemberCount(7, { timeout: 5000 }), 1)
      assert.deepStrictEqual((yield* emulator.room(7n))?.members, [1n])
      assert.strictEqual((yield* emulator.state).faults.injected.latency, 2)
    }).pipe(Effect.provide(kit({ faults: [{ kind: "latency", millis: 300 }] }))))

  it.live("blackHole: never answered, FpnnTimeoutError (sent); nothing applied; the connection stays usable", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      const e = yield* Effect.flip(client.pullUserIntoVoiceRoom(8, [1], { timeout: 100 }))
      assert.strictEqual(e._tag, "FpnnTimeoutError")
      assert.strictEqual(e.sent, true)
      assert.strictEqual(yield* emulator.room(8n), undefined)
      assert.deepStrictEqual(yield* client.getVoiceRoomList(), [])
      assert.strictEqual((yield* emulator.state).faults.injected.blackHole, 1)
    }).pipe(Effect.provide(kit({ faults: [{ kind: "blackHole", method: "pullUserIntoVoiceRoom" }] }))))

  it.effect("blackHole under TestClock: the call times out when the clock passes its timeout", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      const fiber = yield* Effect.forkChild(Effect.flip(client.getVoiceRoomMemberCount(1, { timeout: "10 seconds" })))
      yield* emulator.awaitQuests("getVoiceRoomMemberCount") // the quest is in: now move the clock
      yield* TestClock.adjust("9 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 second")
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(e._tag === "FpnnTimeoutError" && e.timeoutMillis, 10_000)
      assert.strictEqual(e.sent, true)
    }).pipe(Effect.provide(kit({ faults: [{ kind: "blackHole" }] }))))

  it.live("closeBeforeApply: FpnnConnectionError Closed (sent), nothing applied; the next call reconnects", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      const e = yield* Effect.flip(client.pullUserIntoVoiceRoom(9, [1]))
      assert.strictEqual(e._tag, "FpnnConnectionError")
      assert.strictEqual(e._tag === "FpnnConnectionError" && e.reason._tag, "Closed")
      assert.strictEqual(e.sent, true)
      assert.strictEqual(yield* emulator.room(9n), undefined)
      yield* Effect.retry(client.pullUserIntoVoiceRoom(9, [1]), { schedule: Schedule.spaced("20 millis"), times: 50 })
      assert.deepStrictEqual((yield* emulator.room(9n))?.members, [1n])
      assert.strictEqual((yield* emulator.state).faults.injected.closeBeforeApply, 1)
    }).pipe(Effect.provide(kit({ faults: [{ kind: "closeBeforeApply", times: 1 }] }))))

  it.live("closeAfterApply: FpnnConnectionError Closed (sent), and the write WAS applied", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      const e = yield* Effect.flip(client.pullUserIntoVoiceRoom(10, [1, 2]))
      assert.strictEqual(e._tag === "FpnnConnectionError" && e.reason._tag, "Closed")
      assert.strictEqual(e.sent, true)
      assert.include(e.message, "may or may not have taken effect")
      assert.deepStrictEqual((yield* emulator.room(10n))?.members, [1n, 2n])
      assert.strictEqual((yield* emulator.state).faults.injected.closeAfterApply, 1)
    }).pipe(Effect.provide(kit({ faults: [{ kind: "closeAfterApply", method: "pullUserIntoVoiceRoom", times: 1 }] }))))

  it.effect("rateLimit: N per second per method, then 200010 FrequencyLimited; the window moves with the clock", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      yield* client.pullUserIntoVoiceRoom(1, [1])
      yield* client.pullUserIntoVoiceRoom(1, [2])
      const e = yield* Effect.flip(client.pullUserIntoVoiceRoom(1, [3]))
      assert.strictEqual(e._tag === "RtmError" && e.code, 200010)
      assert.isTrue(e._tag === "RtmError" && e.isRetryable)
      assert.strictEqual(e.sent, true)
      assert.deepStrictEqual((yield* emulator.room(1n))?.members, [1n, 2n]) // the third was not applied
      assert.strictEqual(yield* client.getVoiceRoomMemberCount(1), 2) // per method: reads still pass
      yield* TestClock.adjust("1001 millis")
      yield* client.pullUserIntoVoiceRoom(1, [3])
      assert.deepStrictEqual((yield* emulator.room(1n))?.members, [1n, 2n, 3n])
      assert.strictEqual((yield* emulator.state).faults.injected.rateLimit, 1)
    }).pipe(Effect.provide(kit({ faults: [{ kind: "rateLimit", perSecond: 2 }] }))))

  it.live("probability: seeded, so the same plan fails the same calls; counted", () =>
    Effect.gen(function*() {
      const pattern = (seed: number) =>
        Effect.gen(function*() {
          const client = yield* VoiceRoomClient
          const out: Array<boolean> = []
          for (let i = 0; i < 24; i++) out.push((yield* Effect.exit(client.getVoiceRoomList()))._tag === "Success")
          const injected = (yield* (yield* VoiceRoomEmulator).state).faults.injected.error
          return { out, injected }
        }).pipe(Effect.provide(kit({ faults: { seed, faults: [{ kind: "error", code: 200010, probability: 0.5 }] } })))
      const a = yield* pattern(7)
      const b = yield* pattern(7)
      const c = yield* pattern(8)
      assert.deepStrictEqual(a.out, b.out)
      assert.notDeepEqual(a.out, c.out)
      assert.isAbove(a.injected, 0)
      assert.isBelow(a.injected, 24)
      assert.strictEqual(a.injected, a.out.filter((ok) => !ok).length)
    }))

  it.live("faults change at run time: setFaults, clearFaults, and withFaults for a scope only", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      assert.deepStrictEqual(yield* client.getVoiceRoomList(), [])
      yield* emulator.setFaults([{ kind: "error", code: 200021 }])
      assert.strictEqual((yield* Effect.flip(client.getVoiceRoomList()))._tag, "RtmError")
      yield* emulator.clearFaults
      assert.deepStrictEqual(yield* client.getVoiceRoomList(), [])
      yield* emulator.setFaults([{ kind: "error", code: 200021 }])
      const scope = yield* Scope.make()
      yield* emulator.withFaults([{ kind: "error", code: 200047, method: "getVoiceRoomList" }])
        .pipe(Scope.provide(scope))
      const inside = yield* Effect.flip(client.getVoiceRoomList())
      assert.strictEqual(inside._tag === "RtmError" && inside.code, 200047)
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.flip(client.getVoiceRoomList())
      assert.strictEqual(after._tag === "RtmError" && after.code, 200021) // the previous plan is back
      const stats = (yield* emulator.state).faults
      assert.strictEqual(stats.injected.error, 3)
      assert.deepStrictEqual(stats.plan, { faults: [{ kind: "error", code: 200021 }] })
      // a bad plan is a typed error and leaves the plan in force
      const bad = yield* Effect.flip(emulator.setFaults([{ kind: "error", code: 1, probability: 2 } as Fault]))
      assert.strictEqual(bad._tag, "FaultPlanError")
      const unknown = yield* Effect.flip(emulator.setFaults([{ kind: "blackHole", method: "nope" } as never]))
      assert.include(unknown.message, `["method"]`)
      assert.deepStrictEqual((yield* emulator.state).faults.plan, stats.plan)
      yield* emulator.reset
      assert.strictEqual((yield* emulator.state).faults.injected.error, 0)
    }).pipe(Effect.provide(kit())))

  it.live("stopping the emulator ends black-holed and delayed quests with 20014 ServerStopping", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const emulator = yield* makeEmulator({
        pid: TEST_PID,
        secret: TEST_SECRET,
        faults: [{ kind: "blackHole", method: "getVoiceRoomList" }, { kind: "latency", millis: 600_000 }]
      }).pipe(Scope.provide(scope))
      const transport = yield* FpnnClient.make({ endpoint: emulator.address })
      const client = yield* makeVoiceRoomClient(transport, {
        pid: TEST_PID,
        secret: TEST_SECRET,
        timeout: "10 minutes"
      })
      const silent = yield* Effect.forkChild(Effect.flip(client.getVoiceRoomList()))
      const slow = yield* Effect.forkChild(Effect.flip(client.getVoiceRoomMemberCount(1)))
      yield* emulator.awaitQuests("getVoiceRoomList")
      yield* emulator.awaitQuests("getVoiceRoomMemberCount")
      yield* Scope.close(scope, Exit.void)
      for (const e of [yield* Fiber.join(silent), yield* Fiber.join(slow)]) {
        assert.strictEqual(e._tag === "RtmError" && e.reason._tag, "ServerStopping")
      }
    }))

  it.effect("a bad plan in the layer options fails the layer with FpnnOptionsError naming faults", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Layer.build(kit({ faults: [{ kind: "latency", minMillis: 9, maxMillis: 1 }] })))
      assert.strictEqual(e._tag, "FpnnOptionsError")
      assert.strictEqual(e._tag === "FpnnOptionsError" && e.option, "faults")
      assert.include(e.message, "minMillis <= maxMillis")
    }))
})

describe("FaultEngine and the compact form", () => {
  it("latency ranges are drawn from the seed: same seed, same delays, all within the range", () => {
    const delays = (seed: number) => {
      const engine = new FaultEngine({ seed, faults: [{ kind: "latency", minMillis: 10, maxMillis: 20 }] })
      return Array.from({ length: 50 }, () => engine.decide("getVoiceRoomList", "getVoiceRoomList", 0)!.delayMillis)
    }
    assert.deepStrictEqual(delays(3), delays(3))
    assert.notDeepEqual(delays(3), delays(4))
    for (const d of delays(3)) assert.isTrue(d >= 10 && d <= 20)
    assert.isTrue(new Set(delays(3)).size > 3)
  })

  it("latency adds up and the first ending fault wins; later ones keep their times", () => {
    const engine = new FaultEngine({
      faults: [
        { kind: "latency", millis: 5 },
        { kind: "blackHole", times: 1 },
        { kind: "error", code: 200010, times: 1 }
      ]
    })
    assert.deepStrictEqual(engine.decide("m", "getVoiceRoomList", 0), {
      delayMillis: 5,
      outcome: { kind: "blackHole" }
    })
    assert.deepStrictEqual(engine.decide("m", "getVoiceRoomList", 0), {
      delayMillis: 5,
      outcome: { kind: "error", code: 200010, ex: "injected fault" }
    })
    assert.deepStrictEqual(engine.decide("m", "getVoiceRoomList", 0), { delayMillis: 5, outcome: undefined })
  })

  it("parseFault reads the compact form", () => {
    assert.deepStrictEqual(parseFault("error=200010"), { kind: "error", code: 200010 })
    assert.deepStrictEqual(parseFault("getVoiceRoomMembers:latency=100-300%0.5"), {
      kind: "latency",
      method: "getVoiceRoomMembers",
      minMillis: 100,
      maxMillis: 300,
      probability: 0.5
    })
    assert.deepStrictEqual(parseFault("pullUserIntoVoiceRoom,closeVoiceRoom:closeAfterApply@2"), {
      kind: "closeAfterApply",
      method: ["pullUserIntoVoiceRoom", "closeVoiceRoom"],
      times: 2
    })
    assert.deepStrictEqual(parseFault("rateLimit=5"), { kind: "rateLimit", perSecond: 5 })
    for (const bad of ["error", "blackHole=3", "frob", "nope:blackHole", "latency=x", "error=1%2"]) {
      assert.strictEqual((parseFault(bad) as { _tag?: string })._tag, "FaultPlanError", bad)
    }
  })
})
