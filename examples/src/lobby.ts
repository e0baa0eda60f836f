/**
 * Example: an application's own service built on the SDK, and (in test/lobby.test.ts)
 * tested with `@effect/vitest` against the emulator Layer.
 *
 * `Lobby` seats users in rooms of a fixed capacity: a user who would overflow a room is not
 * pulled in and gets a typed `RoomFull` error; seating someone already in the room is a no-op.
 */
import { VoiceRoomClient, type VoiceRoomError } from "@rtm-voice/voice-room"
import { Context, Effect, Layer, Schema } from "effect"

export class RoomFull extends Schema.TaggedError<RoomFull>()("RoomFull", {
  roomId: Schema.BigInt,
  capacity: Schema.Number
}) {
  override get message(): string {
    return `room ${this.roomId} is full (${this.capacity} seats)`
  }
}

export interface LobbyService {
  /** Seats `uid` in `roomId`; answers the room's members. */
  readonly seat: (roomId: bigint, uid: bigint) => Effect.Effect<ReadonlyArray<bigint>, RoomFull | VoiceRoomError>
  /** Frees `uid`'s seat. */
  readonly leave: (roomId: bigint, uid: bigint) => Effect.Effect<void, VoiceRoomError>
}

export class Lobby extends Context.Service<Lobby, LobbyService>()("examples/Lobby") {
  static readonly layer = (options: { readonly capacity: number; readonly operatorUid: bigint }) =>
    Layer.effect(
      Lobby,
      Effect.gen(function*() {
        const rooms = yield* VoiceRoomClient
        const seat = Effect.fn("Lobby.seat")(function*(roomId: bigint, uid: bigint) {
          const { uids } = yield* rooms.getVoiceRoomMembers(roomId)
          if (uids.includes(uid)) return uids
          if (uids.length >= options.capacity) return yield* new RoomFull({ roomId, capacity: options.capacity })
          yield* rooms.pullUserIntoVoiceRoom(roomId, [uid])
          return (yield* rooms.getVoiceRoomMembers(roomId)).uids
        })
        const leave = Effect.fn("Lobby.leave")(function*(roomId: bigint, uid: bigint) {
          yield* rooms.kickoutFromVoiceRoom(roomId, uid, options.operatorUid)
        })
        return { seat, leave }
      })
    )
}
