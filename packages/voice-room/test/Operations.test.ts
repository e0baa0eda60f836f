import { assert, describe, it } from "@effect/vitest"
import { vector } from "@rtm-voice/test-support"
import { Effect, Schema } from "effect"
import { VoiceRoomValidationError } from "../src/Errors.js"
import {
  adminCommandOf,
  adminCommands,
  type AnyOperation,
  buildRequest,
  dialects,
  kinds,
  operationByWireMethod,
  operationNames,
  Operations
} from "../src/Operations.js"

const all = operationNames.map((n) => Operations[n] as AnyOperation)

describe("the operation table", () => {
  it("has the nine operations, with the wire names of both eras", () => {
    assert.deepStrictEqual(
      all.map((o) => [o.name, o.wire.voice, o.wire.rtc]),
      [
        ["inviteUserIntoVoiceRoom", "inviteUserIntoVoiceRoom", "inviteUserIntoRTCRoom"],
        ["pullUserIntoVoiceRoom", "pullIntoVoiceRoom", "pullIntoRTCRoom"],
        ["closeVoiceRoom", "closeVoiceRoom", "closeRTCRoom"],
        ["kickoutFromVoiceRoom", "kickoutFromVoiceRoom", "kickoutFromRTCRoom"],
        ["setVoiceRoomMicStatus", "setVoiceRoomMicStatus", "setRTCRoomMicStatus"],
        ["getVoiceRoomList", "getVoiceRoomList", "getRTCRoomList"],
        ["getVoiceRoomMembers", "getVoiceRoomMembers", "getRTCRoomMembers"],
        ["getVoiceRoomMemberCount", "getVoiceRoomMemberCount", "getRTCRoomMemberCount"],
        ["adminCommand", "adminCommand", "adminCommand"]
      ]
    )
    assert.deepStrictEqual(all.filter((o) => !o.write).map((o) => o.name), [
      "getVoiceRoomList",
      "getVoiceRoomMembers",
      "getVoiceRoomMemberCount"
    ])
  })

  it("wireOrder is a permutation of the parameters' keys; every kind is known", () => {
    for (const op of all) {
      assert.deepStrictEqual([...op.wireOrder].sort(), op.params.map((p) => p.key).sort(), op.name)
      for (const p of op.params) assert.isDefined(kinds[p.kind], `${op.name}.${p.name}`)
    }
  })

  it("maps every wire method back to its operation; adminCommand is shared by both dialects", () => {
    assert.strictEqual(operationByWireMethod.size, 17)
    assert.deepStrictEqual(operationByWireMethod.get("adminCommand")!.dialects, dialects)
    assert.strictEqual(operationByWireMethod.get("getRTCRoomMembers")!.operation.name, "getVoiceRoomMembers")
  })

  it("admin command codes follow RTM-VOICE.md §6", () => {
    assert.deepStrictEqual(Object.values(adminCommands), [0, 1, 2, 3, 4, 5, 6, 7])
    assert.strictEqual(adminCommandOf(6), "closeMicrophones")
    assert.isUndefined(adminCommandOf(8))
  })
})

describe("buildRequest", () => {
  it("writes keys in Go SDK order and converts ids to bigint", () => {
    const fields = buildRequest(Operations.kickoutFromVoiceRoom, "voice", [42, 1002, 1001n])
    assert.deepStrictEqual(Object.entries(fields), [["rid", 42n], ["fromUid", 1001n], ["uid", 1002n]])
  })

  it("adds pull's RTC extras under rtc only: always, Go's order, defaults type voice (1), 0, 0", () => {
    const rtc = buildRequest(Operations.pullUserIntoVoiceRoom, "rtc", [1, [2]])
    assert.deepStrictEqual(rtc, { rid: 1n, toUids: [2n], type: 1, voiceRange: 0, maxReceiveStreams: 0 })
    assert.deepStrictEqual(Object.keys(rtc), ["rid", "toUids", "type", "voiceRange", "maxReceiveStreams"])
    const set = buildRequest(Operations.pullUserIntoVoiceRoom, "rtc", [1, [2]], {
      type: "video",
      voiceRange: -5,
      maxReceiveStreams: 2147483647
    })
    assert.deepStrictEqual(set, { rid: 1n, toUids: [2n], type: 2, voiceRange: -5, maxReceiveStreams: 2147483647 })
    assert.deepStrictEqual(buildRequest(Operations.pullUserIntoVoiceRoom, "voice", [1, [2]]), { rid: 1n, toUids: [2n] })
    // an extra under voice would be dropped silently: rejected instead
    const dropped = buildRequest(Operations.pullUserIntoVoiceRoom, "voice", [1, [2]], { voiceRange: 3 })
    assert.strictEqual((dropped as { parameter?: string }).parameter, "voiceRange")
    // other operations ignore the keys (they have no extras in any dialect)
    assert.deepStrictEqual(buildRequest(Operations.closeVoiceRoom, "voice", [1], { type: "video" }), { rid: 1n })
  })

  it("encodes the admin command by its code", () => {
    assert.deepStrictEqual(buildRequest(Operations.adminCommand, "rtc", [9, [1, 2], "forbidVideo"]), {
      rid: 9n,
      uids: [1n, 2n],
      command: 4
    })
  })

  it("fails with the first invalid parameter, named", () => {
    const cases: ReadonlyArray<[AnyOperation, ReadonlyArray<unknown>, string]> = [
      [Operations.pullUserIntoVoiceRoom, [1, []], "uids"],
      [Operations.inviteUserIntoVoiceRoom, [1, 2, []], "uids"],
      [Operations.adminCommand, [1, [], "allowAudio"], "uids"],
      [Operations.adminCommand, [1, [1], "nope"], "command"],
      [Operations.closeVoiceRoom, ["42"], "roomId"],
      [Operations.setVoiceRoomMicStatus, [1, 1], "status"],
      [Operations.kickoutFromVoiceRoom, [1, 2 ** 60, 3], "uid"],
      [Operations.getVoiceRoomMembers, [], "roomId"]
    ]
    for (const [op, args, parameter] of cases) {
      const e = buildRequest(op, "voice", args)
      assert.instanceOf(e, VoiceRoomValidationError, `${op.name}(${parameter})`)
      assert.strictEqual((e as VoiceRoomValidationError).parameter, parameter)
      assert.strictEqual((e as VoiceRoomValidationError).operation, op.name)
    }
  })
})

describe("answer schemas", () => {
  const decode = (op: AnyOperation, dialect: "voice" | "rtc", answer: unknown) =>
    Schema.decodeUnknownEffect(op.answer[dialect])(answer)

  it.effect("decode the reference answers (vectors rtm_answer_*)", () =>
    Effect.gen(function*() {
      const payload = (name: string) => vector(name).decoded["payload"]
      assert.deepStrictEqual(
        yield* decode(Operations.getVoiceRoomList, "voice", payload("rtm_answer_getVoiceRoomList")),
        [42n, 43n]
      )
      assert.deepStrictEqual(
        yield* decode(Operations.getVoiceRoomList, "voice", payload("rtm_answer_getVoiceRoomList_empty")),
        []
      )
      assert.deepStrictEqual(
        yield* decode(Operations.getVoiceRoomMembers, "voice", payload("rtm_answer_getVoiceRoomMembers")),
        {
          uids: [1001n, 1002n],
          managers: [1001n]
        }
      )
      assert.deepStrictEqual(
        yield* decode(Operations.getVoiceRoomMembers, "rtc", payload("rtm_answer_getRTCRoomMembers")),
        {
          uids: [1001n, 1002n],
          managers: [1001n],
          owner: 1001n
        }
      )
      assert.strictEqual(
        yield* decode(Operations.getVoiceRoomMemberCount, "voice", payload("rtm_answer_getVoiceRoomMemberCount")),
        2
      )
      assert.isUndefined(yield* decode(Operations.closeVoiceRoom, "voice", payload("rtm_answer_empty")))
    }))

  it.effect("reject answers that do not fit (the field is in the issue path)", () =>
    Effect.gen(function*() {
      const bad: ReadonlyArray<[AnyOperation, "voice" | "rtc", unknown]> = [
        [Operations.getVoiceRoomList, "voice", {}],
        [Operations.getVoiceRoomList, "voice", { rids: [1, 2.5] }],
        [Operations.getVoiceRoomMembers, "voice", { uids: [] }],
        [Operations.getVoiceRoomMembers, "rtc", { uids: [], managers: [] }],
        [Operations.getVoiceRoomMemberCount, "rtc", { count: "3" }]
      ]
      for (const [op, dialect, answer] of bad) {
        const e = yield* Effect.flip(decode(op, dialect, answer))
        assert.strictEqual(e._tag, "SchemaError")
      }
    }))

  it.effect("encode results back to the wire (what the emulator sends)", () =>
    Effect.gen(function*() {
      const encode = (op: AnyOperation, dialect: "voice" | "rtc", value: unknown) =>
        Schema.encodeUnknownEffect(op.answer[dialect])(value)
      const members = { uids: [1n, 2n ** 62n], managers: [1n], owner: 1n }
      assert.deepStrictEqual(yield* encode(Operations.getVoiceRoomMembers, "rtc", members), {
        uids: [1n, 2n ** 62n],
        administrators: [1n],
        owner: 1n
      })
      assert.deepStrictEqual(yield* encode(Operations.getVoiceRoomMembers, "voice", { uids: [], managers: [] }), {
        uids: [],
        managers: []
      })
      assert.deepStrictEqual(yield* encode(Operations.getVoiceRoomMemberCount, "voice", 0), { count: 0 })
      assert.deepStrictEqual(yield* encode(Operations.closeVoiceRoom, "rtc", undefined), {})
    }))
})
