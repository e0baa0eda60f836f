/**
 * The client's backoff: every failed connect or lost connection is one step of the
 * reconnect schedule (Reconnect.ts), which says when the next dial may happen.
 */
import { Duration, Effect, Exit, Schedule } from "effect"
import { connectionError, type FpnnConnectionError } from "../../Errors.js"
import { HEALTHY_AFTER_MILLIS, type ReconnectInput } from "../../Reconnect.js"
import type { FpnnConnection } from "../connection/Connection.js"
import { type ClientRuntime, emit, reasonName, setState } from "./Runtime.js"

/**
 * The last connect failure (or drop), re-raised for a call that was not sent because of
 * it; `retryInMillis`: when the next attempt is due (absent once the schedule ended).
 */
export const notSentError = (failure: FpnnConnectionError, retryInMillis: number | undefined): FpnnConnectionError =>
  connectionError(failure.reason._tag, {
    endpoint: failure.endpoint,
    sent: false,
    detail: failure.detail,
    retryInMillis,
    cause: failure
  })

// A failed connect or a lost connection: one step of the reconnect schedule.
export const lost = (
  rt: ClientRuntime,
  error: FpnnConnectionError,
  input: Omit<ReconnectInput, "error">,
  healthy: boolean
): Effect.Effect<void> =>
  Effect.gen(function*() {
    rt.lastFailure = error
    if (healthy) {
      rt.step = yield* Schedule.toStep(rt.reconnect)
      rt.failedCount = 0
    }
    if (rt.closed) return
    rt.failedCount++
    const at = rt.now()
    const next = yield* Effect.exit(rt.step(at, { error, ...input }))
    if (Exit.isFailure(next)) {
      rt.exhausted = true
      rt.retryAt = Infinity
      yield* setState(rt, { _tag: "Closed", error, final: true })
      yield* Effect.logWarning(
        `the reconnect schedule for ${rt.endpoint} ended after ${rt.failedCount} failed attempts; ` +
          "calls fail until connect is called"
      )
      return
    }
    const delay = Math.max(0, Duration.toMillis(next.value[1]))
    rt.retryAt = at + delay
    if (delay === 0) return yield* setState(rt, { _tag: "Closed", error, final: false })
    yield* setState(rt, { _tag: "BackingOff", until: rt.retryAt, attempt: rt.failedCount, error })
    emit(rt, { _tag: "ReconnectScheduled", endpoint: rt.endpoint, delayMillis: delay, failedCount: rt.failedCount })
    yield* Effect.logDebug(`reconnecting to ${rt.endpoint} in ${Math.round(delay)} ms`).pipe(
      Effect.annotateLogs({ "fpnn.attempt": rt.failedCount, "fpnn.reason": reasonName(error) })
    )
  })

// Reliability (RELIABILITY.md, reconnect storm): a lost connection is counted once, by
// whichever sees it first — its session fiber, or the next `acquire`. The callers of
// the calls it failed resume before the session fiber does; if only the session
// recorded the loss, their next call would redial before the backoff knows of the failure,
// and a peer that accepts and then breaks every connection would be redialled on every call.
export const recordLoss = (rt: ClientRuntime, conn: FpnnConnection, error: FpnnConnectionError): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (rt.lossRecorded.has(conn)) return Effect.void
    rt.lossRecorded.add(conn)
    const times = rt.openedAt.get(conn)
    const at = rt.now()
    // A connection proved good (an FPNN peer answered on it, or it lived a while)
    // restarts the schedule; one that broke at once continues it (reconnect storm).
    const healthy = conn.framesReceived > (rt.serverKey === undefined ? 0 : 1) ||
      (times !== undefined && at - times.connectedAt >= HEALTHY_AFTER_MILLIS)
    return lost(rt, error, { elapsedMillis: at - (times?.dialedAt ?? at), connected: true }, healthy)
  })
