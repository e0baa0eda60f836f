// The case end to end: two pulls of 600,000 large uids make a members answer over
// the 8 MiB frame limit. The emulator answers error 20005 instead (a typed RtmError), the
// connection stays up, a call made at the same time is answered, and the room can still be
// read once it shrinks.
import { assert, describe, it } from "@effect/vitest"
import { FpnnClient } from "@rtm-voice/fpnn-transport"
import { makeVoiceRoomClient, RtmError } from "@rtm-voice/voice-room"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Stream } from "effect"
import { PID, SECRET } from "./support.js"

describe("an answer over the frame limit", () => {
  it.live(
    "getVoiceRoomMembers of 1.2 M large uids → RtmError EncodingError (20005); the connection is kept",
    () =>
      Effect.gen(function*() {
        const emulator = yield* makeEmulator({ pid: PID, secret: SECRET })
        const transport = yield* FpnnClient.make({ endpoint: emulator.address, questTimeout: "60 seconds" })
        const client = yield* makeVoiceRoomClient(transport, { pid: PID, secret: SECRET })
        const uids = (from: bigint) => Array.from({ length: 600_000 }, (_, i) => from + BigInt(i))
        yield* client.pullUserIntoVoiceRoom(7n, uids(2n ** 62n))
        yield* client.pullUserIntoVoiceRoom(7n, uids(2n ** 62n + 600_000n))
        const closed: Array<string> = []
        yield* transport.events.pipe(
          Stream.runForEach((e) => Effect.sync(() => e._tag === "Closed" && closed.push(e.error.message))),
          Effect.forkScoped
        )
        const [members, count] = yield* Effect.all([
          Effect.flip(client.getVoiceRoomMembers(7n)),
          client.getVoiceRoomMemberCount(7n)
        ], { concurrency: "unbounded" })
        assert.instanceOf(members, RtmError)
        assert.isTrue(members instanceof RtmError && members.code === 20005 && members.reason._tag === "EncodingError")
        assert.include((members as RtmError).ex, "over the frame limit")
        assert.strictEqual(count, 1_200_000)
        // The same connection serves the next calls; a small room is read as usual.
        yield* client.pullUserIntoVoiceRoom(8n, [1n, 2n])
        assert.deepStrictEqual((yield* client.getVoiceRoomMembers(8n)).uids, [1n, 2n])
        assert.strictEqual(yield* emulator.connectionCount, 1)
        assert.deepStrictEqual(closed, [])
      }),
    120_000
  )
})
