import { describe, expect, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import { JsonAnswers, operationNames, RoomId, Uid, VoiceRoomMembersJson } from "../src/index.js"

describe("RoomId / Uid from strings", () => {
  it("decode base-10 int64 strings exactly, beyond 2^53 and at both ends of int64", () => {
    expect(Schema.decodeUnknownSync(RoomId)("42")).toBe(42n)
    expect(Schema.decodeUnknownSync(RoomId)("9007199254740993")).toBe(9007199254740993n)
    expect(Schema.decodeUnknownSync(Uid)("9223372036854775807")).toBe(9223372036854775807n)
    expect(Schema.decodeUnknownSync(Uid)("-9223372036854775808")).toBe(-9223372036854775808n)
    expect(Schema.encodeSync(RoomId)(9007199254740993n)).toBe("9007199254740993")
  })

  it.each(["", "abc", "1.5", "1e3", "0x10", " 1", "9223372036854775808", "-9223372036854775809"])(
    "reject %j",
    (input) => {
      expect(Exit.isFailure(Schema.decodeUnknownExit(RoomId)(input))).toBe(true)
    }
  )

  it("reject a number: a JSON number may already have lost precision", () => {
    expect(Exit.isFailure(Schema.decodeUnknownExit(Uid)(42))).toBe(true)
  })
})

describe("JsonAnswers", () => {
  it("has a codec for every operation of the table", () => {
    expect(Object.keys(JsonAnswers).sort()).toEqual([...operationNames].sort())
  })

  it("members: ids become decimal strings; JSON.stringify works and the round trip is exact", () => {
    const members = { uids: [1n, 9223372036854775807n], managers: [9007199254740993n] }
    const json = Schema.encodeSync(VoiceRoomMembersJson)(members)
    expect(json).toEqual({ uids: ["1", "9223372036854775807"], managers: ["9007199254740993"] })
    const text = JSON.stringify(json)
    expect(Schema.decodeUnknownSync(VoiceRoomMembersJson)(JSON.parse(text))).toEqual(members)
  })

  it("members of the rtc dialect keep their owner", () => {
    const json = Schema.encodeSync(VoiceRoomMembersJson)({ uids: [5n], managers: [], owner: 5n })
    expect(json).toEqual({ uids: ["5"], managers: [], owner: "5" })
    expect(Schema.decodeUnknownSync(VoiceRoomMembersJson)(json)).toEqual({ uids: [5n], managers: [], owner: 5n })
  })

  it("count stays a number, the room list is strings, the silent operations are null", () => {
    expect(Schema.encodeSync(JsonAnswers.getVoiceRoomMemberCount)(3)).toBe(3)
    expect(Schema.encodeSync(JsonAnswers.getVoiceRoomList)([1n, 2n ** 62n])).toEqual(["1", "4611686018427387904"])
    expect(Schema.encodeSync(JsonAnswers.closeVoiceRoom)(undefined)).toBe(null)
  })

  it("rejects ids in JSON that are not int64 strings", () => {
    const bad = { uids: [1], managers: [] }
    expect(Exit.isFailure(Schema.decodeUnknownExit(VoiceRoomMembersJson)(bad))).toBe(true)
  })
})
