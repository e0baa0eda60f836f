// The HTTP example against the real emulator: real HTTP on 127.0.0.1, real FPNN behind it.
import { assert, describe, layer } from "@effect/vitest"
import { VoiceRoomClient } from "@rtm-voice/voice-room"
import { VoiceRoomEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Layer, Redacted } from "effect"
import { HttpServer } from "effect/http"
import { RoomService } from "../src/http-service.js"

const pid = 11000001
const secret = Redacted.make("examples-http-secret")

const Emulator = VoiceRoomEmulator.layer({ pid, secret })
const ClientToEmulator = Layer.unwrap(
  Effect.map(VoiceRoomEmulator, (emulator) => VoiceRoomClient.layer({ endpoint: emulator.address, pid, secret }))
)
const App = RoomService({ port: 0, operatorUid: 1n }).pipe(
  Layer.provide(ClientToEmulator),
  Layer.provideMerge(Emulator)
)

interface Answer {
  readonly status: number
  readonly type: string | null
  // JSON as the service wrote it
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read loosely, asserted by value
  readonly body: any
}

/** A request to the service; the status and the parsed JSON body. */
const call = (method: string, path: string) =>
  Effect.gen(function*() {
    const base = HttpServer.formatAddress((yield* HttpServer.HttpServer).address)
    return yield* Effect.promise(async (): Promise<Answer> => {
      const response = await fetch(`${base}${path}`, { method })
      return { status: response.status, type: response.headers.get("content-type"), body: await response.json() }
    })
  })

describe("examples/http-service", () => {
  layer(App, { excludeTestServices: true })((it) => {
    it.effect("POST pulls the user and answers the members as JSON, ids exact beyond 2^53", () =>
      Effect.gen(function*() {
        const big = "9223372036854775807"
        const first = yield* call("POST", "/rooms/9007199254740993/members/1001")
        assert.strictEqual(first.status, 200)
        assert.match(first.type ?? "", /application\/json/)
        assert.deepStrictEqual(first.body, { roomId: "9007199254740993", members: { uids: ["1001"], managers: [] } })
        const second = yield* call("POST", `/rooms/9007199254740993/members/${big}`)
        assert.deepStrictEqual(second.body.members.uids, ["1001", big])
        // the emulator holds exactly what was pulled
        const emulator = yield* VoiceRoomEmulator
        const room = yield* emulator.room(9007199254740993n)
        assert.deepStrictEqual(room?.members, [1001n, 9223372036854775807n])
      }))

    it.effect("GET answers members and count", () =>
      Effect.gen(function*() {
        yield* call("POST", "/rooms/7/members/1")
        yield* call("POST", "/rooms/7/members/2")
        const { body, status } = yield* call("GET", "/rooms/7")
        assert.strictEqual(status, 200)
        assert.deepStrictEqual(body, { roomId: "7", members: { uids: ["1", "2"], managers: [] }, count: 2 })
      }))

    it.effect("an invalid id is 400, before anything is sent", () =>
      Effect.gen(function*() {
        for (const path of ["/rooms/abc", "/rooms/1.5", "/rooms/9223372036854775808", "/rooms/0x10"]) {
          const { body, status } = yield* call("GET", path)
          assert.strictEqual(status, 400, path)
          assert.strictEqual(body.error, "InvalidId")
        }
        const { status } = yield* call("POST", "/rooms/1/members/-")
        assert.strictEqual(status, 400)
      }))

    it.effect("kicking a user who is not in the room is 404 (NotInRoom)", () =>
      Effect.gen(function*() {
        const { body, status } = yield* call("DELETE", "/rooms/31337/members/5")
        assert.strictEqual(status, 404)
        assert.strictEqual(body.error, "NotInRoom")
      }))
  })

  layer(
    RoomService({ port: 0, operatorUid: 1n }).pipe(
      Layer.provide(VoiceRoomClient.layer({ endpoint: "127.0.0.1:1", pid, secret, connectTimeout: "2 seconds" }))
    ),
    { excludeTestServices: true }
  )((it) => {
    it.effect("an unreachable gateway is 503", () =>
      Effect.gen(function*() {
        const { body, status } = yield* call("GET", "/rooms/1")
        assert.strictEqual(status, 503)
        assert.strictEqual(body.error, "Unavailable")
      }))
  })
})
