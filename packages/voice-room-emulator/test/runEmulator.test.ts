import { assert, describe, it } from "@effect/vitest"
import { FpnnClient } from "@rtm-voice/fpnn-transport"
import { authFields, nextSalt } from "@rtm-voice/voice-room"
import { Deferred, Effect, Fiber, Redacted } from "effect"
import { runEmulator } from "../src/index.js"

describe("runEmulator", () => {
  it.live("serves until interrupted, handing its address to onListening", () =>
    Effect.gen(function*() {
      const secret = Redacted.make("run-secret")
      const listening = yield* Deferred.make<string>()
      const fiber = yield* Effect.forkChild(
        runEmulator({ pid: 3, secret }, (emulator) => Deferred.succeed(listening, emulator.address))
      )
      const address = yield* Deferred.await(listening)
      assert.match(address, /^127\.0\.0\.1:\d+$/)
      const call = Effect.scoped(
        Effect.gen(function*() {
          const client = yield* FpnnClient.make({ endpoint: address, connectTimeout: 500 })
          const method = "getVoiceRoomList"
          return yield* client.call(method, authFields(3, secret, method, nextSalt(), Math.floor(Date.now() / 1000)))
        })
      )
      assert.deepStrictEqual(yield* call, { rids: [] })
      yield* Fiber.interrupt(fiber)
      const refused = yield* Effect.flip(call)
      assert.strictEqual(refused._tag === "FpnnConnectionError" && refused.reason._tag, "Refused")
    }))
})
