// "Testing your service" in the README quotes this file verbatim (test/readme-testing.test.ts).
import { assert, describe, it } from "@effect/vitest"
import { RtmError, VoiceRoomClient } from "@rtm-voice/voice-room"
import { VoiceRoomEmulator } from "@rtm-voice/voice-room-emulator"
import { Context, Effect, Fiber, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"

// ---- the service under test: admits a user into a room of at most `max` members

class RoomBusy extends Schema.TaggedError<RoomBusy>()("RoomBusy", { roomId: Schema.Number }) {}

class Lobby extends Context.Service<Lobby, {
  readonly admit: (roomId: number, uid: number) => Effect.Effect<boolean, RoomBusy>
}>()("app/Lobby") {
  static readonly layer = (max: number) =>
    Layer.effect(
      Lobby,
      Effect.gen(function*() {
        const rooms = yield* VoiceRoomClient
        return Lobby.of({
          admit: (roomId, uid) =>
            Effect.gen(function*() {
              const count = yield* rooms.getVoiceRoomMemberCount(roomId, { timeout: "2 seconds" })
              if (count >= max) return false
              yield* rooms.pullUserIntoVoiceRoom(roomId, [uid])
              return true
            }).pipe(
              // Whatever the gateway or the network does, callers see one typed error.
              Effect.catch(() => Effect.fail(new RoomBusy({ roomId })))
            )
        })
      })
    )
}

// ---- its tests: a real emulator in process, a client connected to it, the Lobby on top

const TestKit = VoiceRoomEmulator.layerClient({ dialect: "rtc" })
const Tested = Layer.provideMerge(Lobby.layer(3), TestKit)

describe("Lobby", () => {
  it.effect("admits into a room with space, refuses a full one (seeded state)", () =>
    Effect.gen(function*() {
      const emulator = yield* VoiceRoomEmulator
      yield* emulator.seed({ rooms: [{ id: 1, members: [10, 11] }, { id: 2, members: [20, 21, 22] }] })
      const lobby = yield* Lobby
      assert.isTrue(yield* lobby.admit(1, 12))
      assert.isFalse(yield* lobby.admit(2, 23))
      const { rooms } = yield* emulator.snapshot
      assert.deepStrictEqual(rooms.map((r) => r.members), [["10", "11", "12"], ["20", "21", "22"]])
    }).pipe(Effect.provide(Tested)))

  it.effect("a rate-limited gateway is RoomBusy, and nobody was pulled in (a fault)", () =>
    Effect.gen(function*() {
      const emulator = yield* VoiceRoomEmulator
      yield* emulator.setFaults([{ kind: "error", code: 200010, method: "getVoiceRoomMemberCount", times: 1 }])
      const lobby = yield* Lobby
      const error = yield* Effect.flip(lobby.admit(1, 12))
      assert.strictEqual(error._tag, "RoomBusy")
      assert.strictEqual((yield* emulator.state).faults.injected.error, 1)
      assert.deepStrictEqual((yield* emulator.snapshot).rooms, [])
      assert.isTrue(yield* lobby.admit(1, 12)) // `times: 1`: the next call goes through
    }).pipe(Effect.provide(Tested)))

  it.effect("a gateway that never answers is RoomBusy after the call timeout (TestClock)", () =>
    Effect.gen(function*() {
      const emulator = yield* VoiceRoomEmulator
      yield* emulator.setFaults([{ kind: "blackHole" }])
      const fiber = yield* Effect.forkChild(Effect.flip((yield* Lobby).admit(1, 12)))
      yield* emulator.awaitQuests("getVoiceRoomMemberCount") // the quest is in; now move the clock
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "RoomBusy")
    }).pipe(Effect.provide(Tested)))

  it.effect("without a gateway at all: a mock client from partial implementations", () =>
    Effect.gen(function*() {
      const lobby = yield* Lobby
      assert.isFalse(yield* lobby.admit(1, 12)) // 3 members: full; pull is never reached
    }).pipe(
      Effect.provide(Lobby.layer(3)),
      Effect.provide(VoiceRoomClient.layerMock({ getVoiceRoomMemberCount: () => Effect.succeed(3) }))
    ))

  it.effect("a mock can fail like the gateway: RtmError.fromCode derives the reason from the code", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* Lobby).admit(1, 12))
      assert.strictEqual(error._tag, "RoomBusy")
    }).pipe(
      Effect.provide(Lobby.layer(3)),
      Effect.provide(
        VoiceRoomClient.layerMock({ getVoiceRoomMemberCount: () => Effect.fail(RtmError.fromCode(200010)) })
      )
    ))
})
