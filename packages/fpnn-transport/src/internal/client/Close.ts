/**
 * The client's graceful close: refuse new calls at once, let the calls in flight be
 * answered for up to `shutdownGrace` (on the live clock: the answers arrive in real
 * time), then fail the rest and close the connection.
 */
import { Clock, Deferred, Effect, Exit, Fiber, PubSub, SubscriptionRef } from "effect"
import { type ClientRuntime, liveClock } from "./Runtime.js"

export const gracefulClose = (
  rt: ClientRuntime,
  shutdownGrace: number,
  untrackPending: () => void
): Effect.Effect<void> =>
  Effect.gen(function*() {
    rt.closed = true
    if (rt.connecting !== undefined) Deferred.doneUnsafe(rt.connecting, Exit.fail(rt.shutdownError))
    const conn = rt.current
    if (conn !== undefined && conn.closed === undefined && conn.pendingCount > 0 && shutdownGrace > 0) {
      const pending = conn.pendingCount
      const deadline = Date.now() + shutdownGrace
      yield* Effect.logInfo(`closing: waiting up to ${shutdownGrace} ms for ${pending} calls in flight`)
      while (conn.closed === undefined && conn.pendingCount > 0 && Date.now() < deadline) {
        yield* Effect.sleep(Math.min(5, deadline - Date.now())).pipe(Effect.provideService(Clock.Clock, liveClock))
      }
      if (conn.pendingCount > 0) {
        yield* Effect.logWarning(
          `closing: ${conn.pendingCount} calls still unanswered after ${shutdownGrace} ms fail`
        )
      }
    }
    conn?.close(rt.shutdownError)
    // The session reports the end of its connection (event, metric, log) before the
    // sessions scope interrupts it.
    if (conn !== undefined && rt.sessionFiber !== undefined) {
      yield* Fiber.await(rt.sessionFiber).pipe(
        Effect.timeout(1000),
        Effect.ignore,
        Effect.provideService(Clock.Clock, liveClock)
      )
    }
    yield* SubscriptionRef.set(rt.state, { _tag: "Closed", error: rt.shutdownError, final: true })
    untrackPending()
    yield* Effect.logDebug(`client for ${rt.endpoint} closed`)
  }).pipe(
    Effect.annotateLogs(rt.annotations),
    Effect.andThen(PubSub.shutdown(rt.events)),
    Effect.andThen(PubSub.shutdown(rt.quests))
  )
