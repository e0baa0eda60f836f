// The emulator over real sockets, spoken to with the raw FPNN client: wire typing,
// answer shapes of both dialects, state inspection.
import { assert, describe, layer } from "@effect/vitest"
import { type Codec, FpnnClient } from "@rtm-voice/fpnn-transport"
import { RawClientLayer } from "@rtm-voice/test-support"
import { authFields, nextSalt } from "@rtm-voice/voice-room"
import { Effect, Layer, Redacted } from "effect"
import { VoiceRoomEmulator } from "../src/index.js"

const PID = 11000001
const SECRET = Redacted.make("emulator-test-secret")

const Emulator = VoiceRoomEmulator.layer({ pid: PID, secret: SECRET })

/** A correctly signed quest with the given operation fields. */
const call = (method: string, fields: Codec.Payload) =>
  Effect.gen(function*() {
    const client = yield* FpnnClient
    const auth = authFields(PID, SECRET, method, nextSalt(), Math.floor(Date.now() / 1000))
    return yield* client.call(method, { ...auth, ...fields })
  })

const errorCode = (method: string, fields: Codec.Payload) =>
  Effect.map(Effect.flip(call(method, fields)), (e) => (e._tag === "FpnnRemoteError" ? e.code : -1))

describe("VoiceRoomEmulator over FPNN", () => {
  layer(Layer.provideMerge(RawClientLayer, Emulator), { excludeTestServices: true })((it) => {
    it.effect("binds 127.0.0.1 on a free port and exposes the address", () =>
      Effect.gen(function*() {
        const emulator = yield* VoiceRoomEmulator
        assert.strictEqual(emulator.host, "127.0.0.1")
        assert.isAbove(emulator.port, 0)
        assert.strictEqual(emulator.address, `127.0.0.1:${emulator.port}`)
      }))

    it.effect("answers carry every field, empty lists included, in both dialects", () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(yield* call("getVoiceRoomMembers", { rid: 404 }), { uids: [], managers: [] })
        assert.deepStrictEqual(yield* call("getRTCRoomMembers", { rid: 404 }), {
          uids: [],
          administrators: [],
          owner: 0
        })
        assert.deepStrictEqual(yield* call("getVoiceRoomMemberCount", { rid: 404 }), { count: 0 })
        assert.deepStrictEqual(yield* call("getRTCRoomList", {}), { rids: [] })
      }))

    it.effect("both dialects share the rooms; RTC members name managers administrators and add the owner", () =>
      Effect.gen(function*() {
        const emulator = yield* VoiceRoomEmulator
        yield* emulator.reset
        yield* call("pullIntoRTCRoom", { rid: 7, toUids: [1001, 1002], type: 1 })
        yield* call("adminCommand", { rid: 7, uids: [1002], command: 0 })
        assert.deepStrictEqual(yield* call("getVoiceRoomMembers", { rid: 7 }), { uids: [1001, 1002], managers: [1002] })
        assert.deepStrictEqual(yield* call("getRTCRoomMembers", { rid: 7 }), {
          uids: [1001, 1002],
          administrators: [1002],
          owner: 1001
        })
        assert.deepStrictEqual(yield* call("getVoiceRoomList", {}), { rids: [7] })
        const state = yield* emulator.state
        assert.strictEqual(state.quests.get("adminCommand"), 1)
        assert.strictEqual(state.rooms[0]!.adminCommands[0]!.command, "grantAdministrator")
      }))

    it.effect("int64 ids round-trip exactly on the wire (2^53+1, 2^63-1)", () =>
      Effect.gen(function*() {
        const rid = 2n ** 53n + 1n
        const uid = 2n ** 63n - 1n
        yield* call("pullIntoVoiceRoom", { rid, toUids: [uid, 5000000000] })
        const answer = yield* call("getVoiceRoomMembers", { rid })
        assert.deepStrictEqual(answer["uids"], [uid, 5000000000])
        const emulator = yield* VoiceRoomEmulator
        assert.deepStrictEqual((yield* emulator.room(rid))?.members, [uid, 5000000000n])
      }))

    it.effect("missing field → 10009", () =>
      Effect.gen(function*() {
        assert.strictEqual(yield* errorCode("closeVoiceRoom", {}), 10009)
        assert.strictEqual(yield* errorCode("pullIntoVoiceRoom", { rid: 1 }), 10009)
        assert.strictEqual(yield* errorCode("kickoutFromVoiceRoom", { rid: 1, uid: 2 }), 10009)
        assert.strictEqual(yield* errorCode("adminCommand", { rid: 1, uids: [2] }), 10009)
      }))

    it.effect("wrong type → 10010: string or float for an int, int for a bool, float element, bool for an int", () =>
      Effect.gen(function*() {
        assert.strictEqual(yield* errorCode("closeVoiceRoom", { rid: "42" }), 10010)
        assert.strictEqual(yield* errorCode("closeVoiceRoom", { rid: 42.5 }), 10010)
        assert.strictEqual(yield* errorCode("closeVoiceRoom", { rid: true }), 10010)
        assert.strictEqual(yield* errorCode("setVoiceRoomMicStatus", { rid: 1, status: 1 }), 10010)
        assert.strictEqual(yield* errorCode("pullIntoVoiceRoom", { rid: 1, toUids: [1, 2.5] }), 10010)
        assert.strictEqual(yield* errorCode("pullIntoVoiceRoom", { rid: 1, toUids: 1 }), 10010)
        assert.strictEqual(yield* errorCode("pullIntoRTCRoom", { rid: 1, toUids: [1], type: "voice" }), 10010)
        assert.strictEqual(yield* errorCode("adminCommand", { rid: 1, uids: [1], command: 1.5 }), 10010)
      }))

    it.effect("known limit: an integral float (42.0) decodes as 42 and is accepted", () =>
      Effect.gen(function*() {
        // msgpackr turns cb 4045000000000000 into the number 42; the codec then writes
        // it back as an int, so neither side can tell. A C++ server would say 10010.
        assert.deepStrictEqual(yield* call("getVoiceRoomMemberCount", { rid: 42.0 }), { count: 0 })
      }))

    it.effect("a command code outside 0-7 → 200034; an empty list → 200033", () =>
      Effect.gen(function*() {
        yield* call("pullIntoVoiceRoom", { rid: 3, toUids: [1] })
        assert.strictEqual(yield* errorCode("adminCommand", { rid: 3, uids: [1], command: 8 }), 200034)
        assert.strictEqual(yield* errorCode("pullIntoVoiceRoom", { rid: 3, toUids: [] }), 200033)
        assert.strictEqual(yield* errorCode("inviteUserIntoRTCRoom", { rid: 3, toUids: [], fromUid: 1 }), 200033)
      }))

    it.effect("unknown method → 20004 (the transport's table miss)", () =>
      Effect.gen(function*() {
        assert.strictEqual(yield* errorCode("getVoiceRoomOwner", { rid: 1 }), 20004)
      }))

    it.effect("reset forgets everything", () =>
      Effect.gen(function*() {
        const emulator = yield* VoiceRoomEmulator
        yield* call("pullIntoVoiceRoom", { rid: 9, toUids: [1] })
        yield* emulator.reset
        const state = yield* emulator.state
        assert.deepStrictEqual([state.rooms.length, state.quests.size, state.rememberedSignatures], [0, 0, 0])
      }))
  })
})
