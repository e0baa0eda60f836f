/**
 * The client's call path. Perf fast path (BENCHMARKS.md): connected, on the live clock, a
 * call is the connection's `start` (the body of `request`), whose shared deadline timer
 * enforces the timeout.
 */
import { Clock, Effect, Fiber, Result, type Tracer } from "effect"
import type { Call, CallOptions, Started } from "../../Client.js"
import { type FpnnCallError, type FpnnOptionsError, timeoutError } from "../../Errors.js"
import { check, field, optionalDuration, record, rejectOption, show } from "../../Options.js"
import type { Payload } from "../codec/Msgpack.js"
import type { FpnnConnection } from "../connection/Connection.js"
import type { Resume } from "../connection/PendingCalls.js"
import { type ClientRuntime, liveClock } from "./Runtime.js"
import { acquire } from "./Session.js"

const isSpan = (u: unknown): u is Tracer.AnySpan =>
  typeof u === "object" && u !== null && ((u as { _tag?: unknown })._tag === "Span" ||
    (u as { _tag?: unknown })._tag === "ExternalSpan")

/** A call's options: its timeout (ms, Infinity = none; else `fallback`) and its span. */
interface Resolved {
  readonly timeout: number
  readonly span: Tracer.AnySpan | undefined
}

// The rule of `resolveCallTimeout` (Options.ts): a timeout may be Infinity, never 0.
const timeoutRule = { infinite: true } as const

/** Both options in one pass (one `check`, read once each), before anything is sent. */
const resolveCall = (callOptions: unknown, fallback: number): Result.Result<Resolved, FpnnOptionsError> =>
  check("timeout", () => {
    const o = record(callOptions, "options")
    const timeout = optionalDuration(field(o, "timeout", "timeout"), "timeout", fallback, timeoutRule)
    const span = field(o, "span", "span")
    if (span !== undefined && !isSpan(span)) {
      return rejectOption("span", "WrongType", `span must be a span (Tracer.AnySpan), got ${show(span)}`)
    }
    return { timeout, span }
  })

/** What the transport's `call.startUnsafe` returns when the call has to take `call`'s path. */
export const NotStarted: unique symbol = Symbol.for("@rtm-voice/fpnn-transport/NotStarted")

/** `call` (with its `startUnsafe`) and `send` of a client; made once per client. */
export const makeCalls = (rt: ClientRuntime, questTimeout: number) => {
  const withTimeout = (method: string, timeout: number, sent: () => boolean) => <A, E>(effect: Effect.Effect<A, E>) =>
    timeout === Infinity ? effect : Effect.timeoutOrElse(effect, {
      duration: timeout,
      orElse: () => Effect.suspend(() => Effect.fail(timeoutError(method, rt.endpoint, timeout, sent())))
    })

  const callEffect = (
    method: string,
    payload: Payload,
    callOptions?: CallOptions
  ): Effect.Effect<Payload, FpnnCallError | FpnnOptionsError> => {
    // Checked before anything is sent: a bad timeout is a typed failure, not a defect.
    const checked = callOptions === undefined ? undefined : resolveCall(callOptions, questTimeout)
    if (checked !== undefined && Result.isFailure(checked)) return Effect.fail(checked.failure)
    const timeout = checked === undefined ? questTimeout : checked.success.timeout
    const parent = checked?.success.span
    // Perf fast path (BENCHMARKS.md): connected, on the live clock, the call is one
    // `Effect.callback` whose register is the connection's `start` — no `withFiber` nor a
    // second primitive per call (the 1024-in-flight allocation profile, BENCHMARKS.md). The
    // connection enforces the timeout with its shared deadline timer, no per-call fibers
    // or timers. Otherwise the register resumes at once with `slowCall`.
    return Effect.callback<Payload, FpnnCallError>((resume) => {
      const started = startUnsafe(method, payload, timeout, resume)
      if (started !== NotStarted) return started
      resume(slowCall(rt.current, method, payload, timeout, parent))
    })
  }

  const startUnsafe = (
    method: string,
    payload: Payload,
    timeoutMillis: number | undefined,
    resume: Resume
  ): Started => {
    const conn = rt.current
    return conn !== undefined && conn.closed === undefined && !rt.closed &&
        Fiber.getCurrent()?.getRef(Clock.Clock) === liveClock
      ? conn.start(method, payload, timeoutMillis ?? questTimeout, resume)
      : NotStarted
  }

  // Connecting, backing off, closing, or a TestClock that must drive the timeout: the
  // whole call, connect included, runs under Effect.timeoutOrElse.
  const slowCall = (
    conn: FpnnConnection | undefined,
    method: string,
    payload: Payload,
    timeout: number,
    parent: Tracer.AnySpan | undefined
  ): Effect.Effect<Payload, FpnnCallError> => {
    // Whether the timeout struck before or after the quest reached the socket.
    let queued: { readonly conn: FpnnConnection; readonly batch: number } | undefined
    const request = (c: FpnnConnection) =>
      c.request(method, payload, undefined, (batch) => (queued = { conn: c, batch }))
    const slow = withTimeout(method, timeout, () => queued !== undefined && queued.conn.written(queued.batch))(
      conn !== undefined && conn.closed === undefined && !rt.closed
        ? request(conn)
        : Effect.flatMap(acquire(rt, timeout), request)
    )
    // Only this path can log or make spans (the connect): under the caller's span.
    return parent === undefined ? slow : Effect.withParentSpan(slow, parent, { captureStackTrace: false })
  }

  const send = (method: string, payload: Payload) =>
    Effect.flatMap(acquire(rt, questTimeout), (c) => c.send(method, payload))

  const call: Call = Object.assign(callEffect, { startUnsafe })
  return { call, send }
}
