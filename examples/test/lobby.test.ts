// A user's own service tested with @effect/vitest against the emulator Layer: the service,
// the SDK and the emulator in one Layer, real FPNN on 127.0.0.1 in between.
import { assert, describe, it, layer } from "@effect/vitest"
import { RtmError, VoiceRoomClient } from "@rtm-voice/voice-room"
import { VoiceRoomEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Layer, Redacted } from "effect"
import { Lobby, RoomFull } from "../src/lobby.js"

const pid = 11000001
const secret = Redacted.make("examples-lobby-secret")

/** The SDK connected to the emulator in context. */
const ClientToEmulator = Layer.unwrap(
  Effect.map(VoiceRoomEmulator, (emulator) => VoiceRoomClient.layer({ endpoint: emulator.address, pid, secret }))
)
const TestLobby = Lobby.layer({ capacity: 2, operatorUid: 1n }).pipe(
  Layer.provide(ClientToEmulator),
  Layer.provideMerge(VoiceRoomEmulator.layer({ pid, secret }))
)

describe("examples/lobby", () => {
  layer(TestLobby, { excludeTestServices: true })((it) => {
    it.effect("seats users up to the capacity, then fails with RoomFull without pulling", () =>
      Effect.gen(function*() {
        const lobby = yield* Lobby
        const emulator = yield* VoiceRoomEmulator
        assert.deepStrictEqual(yield* lobby.seat(10n, 100n), [100n])
        assert.deepStrictEqual(yield* lobby.seat(10n, 100n), [100n]) // already seated
        assert.deepStrictEqual(yield* lobby.seat(10n, 9223372036854775807n), [100n, 9223372036854775807n])
        const full = yield* Effect.flip(lobby.seat(10n, 300n))
        assert.instanceOf(full, RoomFull)
        assert.strictEqual(full.message, "room 10 is full (2 seats)")
        assert.deepStrictEqual((yield* emulator.room(10n))?.members, [100n, 9223372036854775807n])
      }))

    it.effect("leaving frees a seat; leaving twice is the gateway's NotInRoom", () =>
      Effect.gen(function*() {
        const lobby = yield* Lobby
        yield* lobby.seat(11n, 1n)
        yield* lobby.seat(11n, 2n)
        yield* lobby.leave(11n, 1n)
        assert.deepStrictEqual(yield* lobby.seat(11n, 3n), [2n, 3n])
        const error = yield* Effect.flip(lobby.leave(11n, 1n))
        assert.instanceOf(error, RtmError)
        assert.strictEqual((error as RtmError).code, 200040)
      }))
  })

  it.effect("without a reachable gateway, seat fails with the SDK's connection error", () =>
    Effect.gen(function*() {
      const lobby = yield* Lobby
      const error = yield* Effect.flip(lobby.seat(1n, 1n))
      assert.strictEqual(error._tag, "FpnnConnectionError")
    }).pipe(
      Effect.provide(
        Lobby.layer({ capacity: 2, operatorUid: 1n }).pipe(
          Layer.provide(VoiceRoomClient.layer({ endpoint: "127.0.0.1:1", pid, secret, connectTimeout: "2 seconds" }))
        )
      )
    ), { timeout: 30_000 })
})
