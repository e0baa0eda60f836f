// The test kit for users' own services: the emulator-backed client layer, seeding and
// JSON snapshots, the mock client, and the RTC-era pull extras end to end in the SDK.
import { assert, describe, it } from "@effect/vitest"
import { type Codec, FpnnServer, type Server } from "@rtm-voice/fpnn-transport"
import { FpnnClient } from "@rtm-voice/fpnn-transport"
import { makeVoiceRoomClient, VoiceRoomClient, VoiceRoomValidationError } from "@rtm-voice/voice-room"
import { TEST_PID, TEST_SECRET, VoiceRoomEmulator } from "@rtm-voice/voice-room-emulator"
import { Cause, Effect, Exit, Layer, Redacted } from "effect"

const BIG = 9223372036854775807n // int64 max: exact only as bigint / decimal string

describe("VoiceRoomEmulator.layerClient", () => {
  it.live("provides a client connected to an in-process emulator, and the emulator itself", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      assert.strictEqual(client.endpoint, emulator.address)
      assert.strictEqual(client.pid, TEST_PID)
      assert.strictEqual(client.dialect, "rtc")
      yield* client.pullUserIntoVoiceRoom(5, [1])
      assert.deepStrictEqual((yield* emulator.room(5n))?.members, [1n])
    }).pipe(Effect.provide(VoiceRoomEmulator.layerClient({ dialect: "rtc" }))))

  it.effect("a bad client option fails the layer with a typed error", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(VoiceRoomEmulator.layerClient({ dialect: "v9" as never })))
      assert.isTrue(Exit.isFailure(exit))
    }))
})

describe("seeding and snapshots", () => {
  it.live("rooms with members, managers, owner and mic status, read back through the API", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      yield* emulator.seed({
        rooms: [
          { id: 42, members: [1001, 1002, 1003], managers: [1002], owner: 1003, micStatus: false },
          { id: BIG, members: [String(BIG)] }
        ],
        micStatus: [{ roomId: "77", status: true }]
      })
      assert.deepStrictEqual(yield* client.getVoiceRoomMembers(42), {
        uids: [1001n, 1002n, 1003n],
        managers: [1002n],
        owner: 1003n
      })
      assert.deepStrictEqual(yield* client.getVoiceRoomList(), [42n, BIG])
      assert.deepStrictEqual(yield* client.getVoiceRoomMembers(BIG), { uids: [BIG], managers: [], owner: BIG })
      const snapshot = yield* emulator.snapshot
      const json = JSON.stringify(snapshot)
      assert.include(json, `"id":"${BIG}"`)
      assert.deepStrictEqual(snapshot.rooms[0], {
        id: "42",
        members: ["1001", "1002", "1003"],
        managers: ["1002"],
        owner: "1003",
        micStatus: false,
        invitations: [],
        adminCommands: []
      })
      assert.deepStrictEqual(snapshot.micStatus, [{ roomId: "42", status: false }, { roomId: "77", status: true }])
      assert.strictEqual(snapshot.quests["getRTCRoomMembers"], 2)

      // the JSON seeds the same state again
      yield* emulator.reset
      assert.deepStrictEqual(yield* client.getVoiceRoomList(), [])
      yield* emulator.seed(JSON.parse(json))
      assert.deepStrictEqual((yield* emulator.snapshot).rooms, snapshot.rooms)
    }).pipe(Effect.provide(VoiceRoomEmulator.layerClient({ dialect: "rtc" }))))

  it.live("a bad seed is a typed error naming the problem, and changes nothing", () =>
    Effect.gen(function*() {
      const emulator = yield* VoiceRoomEmulator
      const manager = yield* Effect.flip(emulator.seed({ rooms: [{ id: 1, members: [1], managers: [2] }] }))
      assert.strictEqual(manager._tag, "EmulatorSeedError")
      assert.include(manager.message, "managers")
      const range = yield* Effect.flip(emulator.seed({ rooms: [{ id: "9223372036854775808" }] }))
      assert.include(range.message, "int64")
      const shape = yield* Effect.flip(emulator.seed({ rooms: [{ id: 1.5 }] } as never))
      assert.strictEqual(shape._tag, "EmulatorSeedError")
      assert.deepStrictEqual((yield* emulator.snapshot).rooms, [])
    }).pipe(Effect.provide(VoiceRoomEmulator.layerClient())))

  it.live("the layer options seed the initial state", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* (yield* VoiceRoomClient).getVoiceRoomMemberCount(3), 2)
    }).pipe(Effect.provide(VoiceRoomEmulator.layerClient({ seed: { rooms: [{ id: 3, members: [1, 2] }] } }))))
})

describe("VoiceRoomClient.layerMock", () => {
  it.effect("given methods answer, typed and through invoke; others die naming the method", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      assert.strictEqual(yield* client.getVoiceRoomMemberCount(1), 3)
      assert.strictEqual(yield* client.invoke("getVoiceRoomMemberCount", [1]), 3)
      const exit = yield* Effect.exit(client.closeVoiceRoom(1))
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
      const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      assert.include(String((defect as Error).message), "closeVoiceRoom is not implemented")
      assert.include(String((defect as Error).message), "getVoiceRoomMemberCount")
      assert.strictEqual(client.endpoint, "mock")
    }).pipe(Effect.provide(VoiceRoomClient.layerMock({ getVoiceRoomMemberCount: () => Effect.succeed(3) }))))
})

describe("RTC pull extras", () => {
  const recorder = () => {
    const seen: Array<Codec.Payload> = []
    const record: Server.QuestHandler = (p) => Effect.sync(() => void seen.push(p))
    return { seen, record }
  }

  it.live("sent like the RTC-era Go SDK: after rid, toUids, in its order, always, defaults type 1 and 0, 0", () =>
    Effect.gen(function*() {
      const { record, seen } = recorder()
      const server = yield* FpnnServer.make({ handlers: { pullIntoRTCRoom: record, pullIntoVoiceRoom: record } })
      const transport = yield* FpnnClient.make({ endpoint: server.address })
      const rtc = yield* makeVoiceRoomClient(transport, { pid: 1, secret: Redacted.make("s"), dialect: "rtc" })
      const voice = yield* makeVoiceRoomClient(transport, { pid: 1, secret: Redacted.make("s") })
      yield* rtc.pullUserIntoVoiceRoom(42, [1])
      yield* rtc.pullUserIntoVoiceRoom(42, [1], { type: "video", voiceRange: 30, maxReceiveStreams: -1 })
      yield* voice.pullUserIntoVoiceRoom(42, [1])
      const keys = ["pid", "sign", "salt", "ts", "rid", "toUids", "type", "voiceRange", "maxReceiveStreams"]
      assert.deepStrictEqual(Object.keys(seen[0]!), keys)
      assert.deepStrictEqual([seen[0]!["type"], seen[0]!["voiceRange"], seen[0]!["maxReceiveStreams"]], [1, 0, 0])
      assert.deepStrictEqual(Object.keys(seen[1]!), keys)
      assert.deepStrictEqual([seen[1]!["type"], seen[1]!["voiceRange"], seen[1]!["maxReceiveStreams"]], [2, 30, -1])
      assert.deepStrictEqual(Object.keys(seen[2]!), ["pid", "sign", "salt", "ts", "rid", "toUids"])
    }))

  it.live("validated before sending: int32 ranges, the type names, and rtc only", () =>
    Effect.gen(function*() {
      const rtc = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      const cases: ReadonlyArray<readonly [object, string]> = [
        [{ voiceRange: 2 ** 31 }, "voiceRange"],
        [{ voiceRange: 1.5 }, "voiceRange"],
        [{ maxReceiveStreams: "8" }, "maxReceiveStreams"],
        [{ type: "audio" }, "type"],
        [{ type: 1 }, "type"]
      ]
      for (const [options, parameter] of cases) {
        const e = yield* Effect.flip(rtc.pullUserIntoVoiceRoom(1, [1], options as never))
        assert.instanceOf(e, VoiceRoomValidationError)
        assert.strictEqual((e as VoiceRoomValidationError).parameter, parameter)
      }
      const transport = yield* FpnnClient.make({ endpoint: emulator.address })
      const voice = yield* makeVoiceRoomClient(transport, { pid: TEST_PID, secret: TEST_SECRET })
      const e = yield* Effect.flip(voice.pullUserIntoVoiceRoom(1, [1], { type: "video" }))
      assert.instanceOf(e, VoiceRoomValidationError)
      assert.include(e.message, "rtc")
      assert.strictEqual((yield* emulator.state).quests.size, 0) // nothing was sent
    }).pipe(Effect.provide(VoiceRoomEmulator.layerClient({ dialect: "rtc" }))))

  it.live("the emulator records them per room and shows them in its state and snapshot", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      const emulator = yield* VoiceRoomEmulator
      yield* client.pullUserIntoVoiceRoom(1, [1])
      yield* client.pullUserIntoVoiceRoom(2, [1], { type: "video", voiceRange: 12, maxReceiveStreams: 4 })
      assert.deepStrictEqual((yield* emulator.room(1n))?.rtc, { type: 1, voiceRange: 0, maxReceiveStreams: 0 })
      assert.deepStrictEqual((yield* emulator.room(2n))?.rtc, { type: 2, voiceRange: 12, maxReceiveStreams: 4 })
      yield* client.pullUserIntoVoiceRoom(2, [3], { voiceRange: 99 }) // the latest pull's values win
      const snapshot = yield* emulator.snapshot
      assert.deepStrictEqual(snapshot.rooms[1]!.rtc, { type: 1, voiceRange: 99, maxReceiveStreams: 0 })
    }).pipe(Effect.provide(VoiceRoomEmulator.layerClient({ dialect: "rtc" }))))
})
