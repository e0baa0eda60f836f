/**
 * The client's call path. Perf fast path (BENCHMARKS.md): connected, on the live clock, a
 * call is the connection's `request`, whose shared deadline timer enforces the timeout.
 */
import { Clock, Effect, Result } from "effect"
import type { CallOptions } from "../../Client.js"
import { type FpnnCallError, type FpnnOptionsError, timeoutError } from "../../Errors.js"
import { resolveCallTimeout } from "../../Options.js"
import type { Payload } from "../codec/Msgpack.js"
import type { FpnnConnection } from "../connection/Connection.js"
import { type ClientRuntime, liveClock } from "./Runtime.js"
import { acquire } from "./Session.js"

/** `call` and `send` of a client; made once per client. */
export const makeCalls = (rt: ClientRuntime, questTimeout: number) => {
  const withTimeout = (method: string, timeout: number, sent: () => boolean) => <A, E>(effect: Effect.Effect<A, E>) =>
    timeout === Infinity ? effect : Effect.timeoutOrElse(effect, {
      duration: timeout,
      orElse: () => Effect.suspend(() => Effect.fail(timeoutError(method, rt.endpoint, timeout, sent())))
    })

  const call = (
    method: string,
    payload: Payload,
    callOptions?: CallOptions
  ): Effect.Effect<Payload, FpnnCallError | FpnnOptionsError> => {
    // Checked before anything is sent: a bad timeout is a typed failure, not a defect.
    const checked = callOptions === undefined ? undefined : resolveCallTimeout(callOptions, questTimeout)
    if (checked !== undefined && Result.isFailure(checked)) return Effect.fail(checked.failure)
    const timeout = checked === undefined ? questTimeout : checked.success
    return Effect.withFiber((fiber): Effect.Effect<Payload, FpnnCallError> => {
      const conn = rt.current
      // Perf fast path (BENCHMARKS.md): connected, on the live clock — the connection
      // enforces the timeout with its shared deadline timer, no per-call fibers/timers.
      // Otherwise (connecting, backing off, closing, or a TestClock that must drive the
      // timeout) the whole call, connect included, runs under Effect.timeoutOrElse.
      if (conn !== undefined && conn.closed === undefined && !rt.closed && fiber.getRef(Clock.Clock) === liveClock) {
        return conn.request(method, payload, timeout)
      }
      // Whether the timeout struck before or after the quest reached the socket.
      let queued: { readonly conn: FpnnConnection; readonly batch: number } | undefined
      const request = (c: FpnnConnection) =>
        c.request(method, payload, undefined, (batch) => (queued = { conn: c, batch }))
      return withTimeout(method, timeout, () => queued !== undefined && queued.conn.written(queued.batch))(
        conn !== undefined && conn.closed === undefined && !rt.closed
          ? request(conn)
          : Effect.flatMap(acquire(rt, timeout), request)
      )
    })
  }

  const send = (method: string, payload: Payload) =>
    Effect.flatMap(acquire(rt, questTimeout), (c) => c.send(method, payload))

  return { call, send }
}
