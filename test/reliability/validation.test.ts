// Bad input from untyped JavaScript callers: every operation × every parameter × every
// invalid class gets a VoiceRoomValidationError naming the operation and the parameter,
// and not one byte leaves the process — proven by a raw listener that records every
// connection and byte (and, as a control, does record a valid call).
import { describe, expect, it } from "@effect/vitest"
import {
  type AnyOperation,
  operationNames,
  Operations,
  type Param,
  type ParamKind,
  VoiceRoomValidationError
} from "@rtm-voice/voice-room"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect } from "effect"
import { guardProcess, PID, rawPeer, SECRET, voiceClient } from "./support.js"

guardProcess()

const INT64_MAX = (1n << 63n) - 1n

/** Invalid values per parameter kind; each label names the class of mistake. */
const int64Invalid: ReadonlyArray<readonly [string, unknown]> = [
  ["non-integer", 1.5],
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY],
  ["beyond int64 (2^63)", INT64_MAX + 1n],
  ["below int64 (-2^63 - 1)", -INT64_MAX - 2n],
  ["unsafe number (2^53)", 2 ** 53],
  ["huge number (1e20)", 1e20],
  ["numeric string", "42"],
  ["null", null],
  ["undefined (missing argument)", undefined],
  ["boolean", true],
  ["object", { id: 1 }],
  ["array", [1]],
  ["symbol", Symbol("id")],
  ["function", () => 1]
]

const invalid: Record<ParamKind, ReadonlyArray<readonly [string, unknown]>> = {
  roomId: int64Invalid,
  uid: int64Invalid,
  fromUid: int64Invalid,
  uids: [
    ["empty list", []],
    ["not a list (string)", "1,2"],
    ["not a list (number)", 1],
    ["not a list (Set)", new Set([1n])],
    ["null", null],
    ["undefined (missing argument)", undefined],
    ["non-integer element", [1, 2.5]],
    ["NaN element", [Number.NaN]],
    ["Infinity element", [1, Number.POSITIVE_INFINITY]],
    ["element beyond int64", [INT64_MAX + 1n]],
    ["unsafe number element", [2 ** 60]],
    ["string element", ["1"]],
    ["null element", [1, null]],
    ["hole in the list", [1, , 3]] // eslint-disable-line no-sparse-arrays
  ],
  status: [
    ["number", 1],
    ["string", "true"],
    ["null", null],
    ["undefined (missing argument)", undefined]
  ],
  command: [
    ["unknown name", "muteEverybody"],
    ["wire code instead of name", 3],
    ["wrong case", "AllowAudio"],
    ["null", null],
    ["undefined (missing argument)", undefined]
  ]
}

const valid: Record<ParamKind, unknown> = {
  roomId: 1,
  uid: 2,
  fromUid: 3,
  uids: [4, 5n],
  status: true,
  command: "allowAudio"
}

const validArgs = (operation: AnyOperation) => (operation.params as ReadonlyArray<Param>).map((p) => valid[p.kind])

/** Every (operation, parameter, class, args) the suite sends, plus bad call options. */
const badCalls = operationNames.flatMap((name) => {
  const operation = Operations[name] as AnyOperation
  const params = operation.params as ReadonlyArray<Param>
  const calls = params.flatMap((param, i) =>
    invalid[param.kind].map(([label, value]) => {
      const args = validArgs(operation)
      args[i] = value
      return { name, parameter: param.name, label, args }
    })
  )
  // a non-object where the options object goes
  for (const [label, options] of [["options: number", 5], ["options: string", "fast"]] as const) {
    calls.push({ name, parameter: "options", label, args: [...validArgs(operation), options] })
  }
  return calls
})

describe("bad input: typed validation errors, no byte sent", () => {
  it("the table covers every parameter of every operation, and its options", () => {
    const covered = new Set(badCalls.map((c) => `${c.name}.${c.parameter}`))
    for (const name of operationNames) {
      for (const p of Operations[name].params as ReadonlyArray<Param>) expect(covered).toContain(`${name}.${p.name}`)
      expect(covered).toContain(`${name}.options`)
    }
    expect(badCalls.length).toBeGreaterThan(200)
  })

  it.live(`${badCalls.length} invalid calls, through the typed methods and through invoke(): each fails with VoiceRoomValidationError naming operation and parameter; the recording peer sees no connection and no byte — then a valid call does reach it`, () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {}) // records, never answers
      const { client, fpnn } = yield* voiceClient(peer.endpoint)
      const methods = client as unknown as Record<
        string,
        (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>
      >
      const check = (call: (typeof badCalls)[number], via: string, effect: Effect.Effect<unknown, unknown>) =>
        Effect.gen(function*() {
          const e = yield* Effect.flip(effect)
          const where = `${via} ${call.name} ${call.parameter}: ${call.label}`
          expect(e, where).toBeInstanceOf(VoiceRoomValidationError)
          const v = e as VoiceRoomValidationError
          expect(v.operation, where).toBe(call.name)
          // a list element is named with its index: uids[1]
          expect(v.parameter.replace(/\[\d+\]$/, ""), where).toBe(call.parameter)
          expect(v.message, where).toContain(v.parameter.replace(/\[\d+\]$/, ""))
        })
      for (const call of badCalls) {
        yield* check(call, "method", methods[call.name]!(...call.args))
        if (call.parameter !== "options") {
          yield* check(call, "invoke", client.invoke(call.name, call.args))
        }
      }
      // concurrently too, while nothing is connected
      yield* Effect.forEach(badCalls, (call) => check(call, "concurrent", methods[call.name]!(...call.args)), {
        concurrency: "unbounded",
        discard: true
      })
      yield* Effect.sleep(50)
      expect(peer.connections(), "an invalid call opened a connection").toBe(0)
      expect(peer.received().length).toBe(0)

      // control: the recorder does see a valid call (which then times out: it never answers)
      const e = yield* Effect.flip(client.getVoiceRoomMemberCount(1, { timeout: 200 }))
      expect(e._tag).toBe("FpnnTimeoutError")
      expect(peer.connections()).toBe(1)
      const sent = peer.received().length
      expect(sent).toBeGreaterThan(0)

      // connected now: invalid calls still send nothing
      for (const call of badCalls) yield* check(call, "connected", methods[call.name]!(...call.args))
      yield* Effect.sleep(50)
      expect(peer.received().length, "an invalid call wrote to the open connection").toBe(sent)
      expect(yield* fpnn.pendingCount).toBe(0)
    }))

  it.live("an unknown operation name through invoke() is a validation error too, with nothing sent", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      const { client } = yield* voiceClient(peer.endpoint)
      // inherited names ("toString", "__proto__"...) used to throw a TypeError out of invoke()
      for (const name of ["dropAllRooms", "", "__proto__", "constructor", "toString", "hasOwnProperty"]) {
        const e = yield* Effect.flip(Effect.suspend(() => client.invoke(name as never, [])))
        expect(e, name).toBeInstanceOf(VoiceRoomValidationError)
        expect((e as VoiceRoomValidationError).parameter).toBe("operation")
      }
      // arguments that are not an array used to die with a TypeError (a defect)
      for (const args of [null, undefined, 5, "1"]) {
        const e = yield* Effect.flip(client.invoke("closeVoiceRoom", args as never))
        expect(e, String(args)).toBeInstanceOf(VoiceRoomValidationError)
        expect((e as VoiceRoomValidationError).parameter).toBe("args")
      }
      expect(peer.connections()).toBe(0)
    }))

  it.live("a uid list too big for one FPNN frame (8 MiB): FpnnProtocolError (Oversized), nothing sent, and the connection's other calls unharmed", () =>
    Effect.gen(function*() {
      // The spec sets no limit on uid lists; the frame limit FPNN servers enforce does.
      // 1,000,000 ids above 2^32 take 9 bytes each: a 9 MB quest.
      const uids = Array.from({ length: 1_000_000 }, (_, i) => 2n ** 40n + BigInt(i))
      const peer = yield* rawPeer(() => {})
      const recorded = yield* voiceClient(peer.endpoint)
      const e = yield* Effect.flip(recorded.client.pullUserIntoVoiceRoom(1, uids, { timeout: 2000 }))
      expect(e._tag).toBe("FpnnProtocolError")
      expect((e as { reason?: { _tag: string } }).reason?._tag).toBe("Oversized")
      expect(e.message).toContain("nothing was sent")
      yield* Effect.sleep(50)
      expect(peer.received().length, "bytes of the oversized quest reached the peer").toBe(0)

      // against the emulator: calls sharing the connection still get their answers
      const emulator = yield* makeEmulator({ pid: PID, secret: SECRET })
      const { client } = yield* voiceClient(emulator.address)
      yield* client.pullUserIntoVoiceRoom(9, [1, 2])
      const [before, big, after] = yield* Effect.all([
        // timeouts that a loaded machine cannot reach (encoding the big quest takes a while)
        client.getVoiceRoomMemberCount(9, { timeout: 20_000 }),
        Effect.flip(client.pullUserIntoVoiceRoom(9, uids, { timeout: 20_000 })),
        client.getVoiceRoomMemberCount(9, { timeout: 20_000 }).pipe(Effect.delay(1))
      ], { concurrency: "unbounded" })
      expect([before, big._tag, after]).toEqual([2, "FpnnProtocolError", 2])
      expect(yield* emulator.connectionCount).toBe(1) // the connection survived
    }))
})
