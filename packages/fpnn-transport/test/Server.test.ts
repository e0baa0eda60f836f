// The FPNN server's dispatch and answer limits, over real sockets on 127.0.0.1:
// handlers by own property only, and answers over the frame limit replaced by error
// 20005 (the connection stays up).
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Logger, References, Scope } from "effect"
import { FpnnClient, FpnnErrorCode, FpnnServer, type Server } from "../src/index.js"

describe("FpnnServer", () => {
  it.live("quests named after Object.prototype members get 20004, and never leak the in-flight counter", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const server = yield* FpnnServer.make<never>({
        handlers: { echo: (p) => Effect.succeed(p) },
        shutdownGrace: "30 seconds"
      }).pipe(Scope.provide(scope))
      const client = yield* FpnnClient.make({ endpoint: server.address, questTimeout: "5 seconds" })
      for (const method of ["constructor", "toString", "valueOf", "hasOwnProperty", "__proto__", "isPrototypeOf"]) {
        const e = yield* Effect.flip(client.call(method, {}))
        assert.isTrue(e._tag === "FpnnRemoteError" && e.code === FpnnErrorCode.UnknownMethod, `${method}: ${e.message}`)
      }
      assert.deepStrictEqual(yield* client.call("echo", { a: 1 }), { a: 1 })
      // Nothing is in flight: shutdown does not wait for its (30 s) grace period. The
      // scope closing is raced against a timeout far below the grace.
      const closed = yield* Effect.exit(Scope.close(scope, Exit.void).pipe(Effect.timeout("10 seconds")))
      assert.isTrue(Exit.isSuccess(closed))
    }))

  it.live("an answer over the frame limit becomes error 20005, is logged, and the connection stays up", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const logger = Logger.make(({ message }) => {
        logs.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
      })
      const big: Server.QuestHandler = () => Effect.succeed({ blob: "x".repeat(200_000) })
      const server = yield* FpnnServer.make<never>({
        handlers: { big, echo: (p) => Effect.succeed(p) },
        maxFrameBytes: 64 * 1024
      }).pipe(Effect.provide(Logger.layer([logger])), Effect.provideService(References.MinimumLogLevel, "All"))
      const client = yield* FpnnClient.make({ endpoint: server.address })
      yield* client.connect
      const [e, echoed] = yield* Effect.all([Effect.flip(client.call("big", {})), client.call("echo", { n: 1 })], {
        concurrency: "unbounded"
      })
      assert.isTrue(e._tag === "FpnnRemoteError" && e.code === FpnnErrorCode.EncodingError, e.message)
      assert.include(e._tag === "FpnnRemoteError" ? e.ex : "", "over the frame limit")
      assert.deepStrictEqual(echoed, { n: 1 })
      // The same connection still serves calls.
      assert.deepStrictEqual(yield* client.call("echo", { n: 2 }), { n: 2 })
      assert.strictEqual(yield* server.connectionCount, 1)
      yield* Effect.sleep(20)
      assert.isTrue(logs.some((l) => l.includes("over the frame limit") && l.includes("big")), JSON.stringify(logs))
    }))
})
