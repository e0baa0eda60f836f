// `call.startUnsafe`, the connected path without an Effect around it (a layer above the
// transport runs it inside its own Effect.callback): when it starts, what resume gets,
// and when it declines, over real sockets on 127.0.0.1.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import {
  Client,
  type Codec,
  type FpnnCallError,
  FpnnClient,
  FpnnErrorAnswer,
  type FpnnOptionsError,
  FpnnServer
} from "../src/index.js"

const server = FpnnServer.make({
  handlers: {
    echo: (payload) => Effect.succeed(payload),
    fail: () => Effect.fail(new FpnnErrorAnswer({ code: 200040, ex: "not in room" })),
    never: () => Effect.never
  }
})

type Outcome = Exit.Exit<Codec.Payload, FpnnCallError>

/**
 * A call as a layer above would make it: one Effect.callback whose register runs
 * `startUnsafe`; `outcomes` gets every resume of the transport, `started` what it returned.
 */
const viaStart = (
  c: FpnnClient["Service"],
  method: string,
  payload: Codec.Payload,
  timeoutMillis: number | undefined,
  seen: { outcomes: Array<Outcome>; started: Array<unknown> }
) =>
  Effect.callback<Codec.Payload, FpnnCallError | FpnnOptionsError>((resume) => {
    const started = c.call.startUnsafe!(method, payload, timeoutMillis, (exit) => {
      seen.outcomes.push(exit)
      resume(exit)
    })
    seen.started.push(started)
    if (started !== Client.NotStarted) return started
    resume(c.call(method, payload))
  })

const fresh = () => ({ outcomes: [] as Array<Outcome>, started: [] as Array<unknown> })

/** A client of the test server, connected, and a fresh record of what startUnsafe did. */
const connected = Effect.gen(function*() {
  const s = yield* server
  const c = yield* FpnnClient.make({ endpoint: s.address })
  yield* c.connect
  return { c, seen: fresh() }
})

describe("FpnnClient call.startUnsafe", () => {
  it.live("connected: the quest goes now and resume gets the answer, exactly once, int64 exact", () =>
    Effect.gen(function*() {
      const { c, seen } = yield* connected
      const answer = yield* viaStart(c, "echo", { rid: 2n ** 63n - 1n }, undefined, seen)
      assert.strictEqual(answer["rid"], 2n ** 63n - 1n)
      assert.strictEqual(seen.outcomes.length, 1)
      assert.isTrue(Effect.isEffect(seen.started[0])) // the interrupt cleanup
    }))

  it.live("a remote error and a timeout reach resume as call's typed errors", () =>
    Effect.gen(function*() {
      const { c, seen } = yield* connected
      const remote = yield* Effect.flip(viaStart(c, "fail", {}, undefined, seen))
      assert.strictEqual(remote._tag === "FpnnRemoteError" && remote.code, 200040)
      const late = yield* Effect.flip(viaStart(c, "never", {}, 50, seen))
      assert.strictEqual(late._tag === "FpnnTimeoutError" && late.timeoutMillis, 50)
      assert.strictEqual(late._tag === "FpnnTimeoutError" && late.sent, true)
      assert.strictEqual(seen.outcomes.length, 2)
      assert.strictEqual(yield* c.pendingCount, 0)
    }))

  it.live("interrupted: the entry is removed and resume gets the interruption", () =>
    Effect.gen(function*() {
      const { c, seen } = yield* connected
      const fiber = yield* Effect.forkChild(viaStart(c, "never", {}, undefined, seen))
      while ((yield* c.pendingCount) === 0) yield* Effect.sleep(5)
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(yield* c.pendingCount, 0)
      assert.strictEqual(seen.outcomes.length, 1)
      const exit = seen.outcomes[0]!
      assert.isTrue(Exit.isFailure(exit) && exit.cause.reasons.every((r) => r._tag === "Interrupt"))
      // The connection goes on serving.
      assert.deepStrictEqual(yield* c.call("echo", { n: 1 }), { n: 1 })
    }))

  it.live("not connected yet: NotStarted, nothing queued; call connects and answers", () =>
    Effect.gen(function*() {
      const s = yield* server
      const c = yield* FpnnClient.make({ endpoint: s.address })
      const seen = fresh()
      assert.deepStrictEqual(yield* viaStart(c, "echo", { n: 2 }, undefined, seen), { n: 2 })
      assert.strictEqual(seen.started[0], Client.NotStarted)
      assert.strictEqual(seen.outcomes.length, 0)
    }))

  it.effect("under a TestClock: NotStarted, so the timeout follows the TestClock", () =>
    Effect.gen(function*() {
      const s = yield* server
      const c = yield* FpnnClient.make({ endpoint: s.address, questTimeout: "10 seconds" })
      yield* c.connect
      const seen = fresh()
      const fiber = yield* Effect.forkChild(Effect.flip(viaStart(c, "never", {}, undefined, seen)))
      yield* TestClock.adjust("11 seconds")
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(e._tag, "FpnnTimeoutError")
      assert.strictEqual(seen.started[0], Client.NotStarted)
    }))

  it.live("a replaced call has no startUnsafe: a wrapper's call is the one a layer above uses", () =>
    Effect.gen(function*() {
      const s = yield* server
      const c = yield* FpnnClient.make({ endpoint: s.address })
      const wrapped: FpnnClient["Service"] = {
        ...c,
        call: (method, payload, options) => c.call(method, payload, options)
      }
      assert.isFunction(c.call.startUnsafe)
      assert.isUndefined(wrapped.call.startUnsafe)
    }))
})
