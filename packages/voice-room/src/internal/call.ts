/**
 * A client's call of one operation: the arguments validated and the request built
 * (nothing sent on a bad one), the prepared attempt (prepare.ts) retried for reads when
 * the client has a `readRetry`, and the call's metrics and span attributes updated.
 */
import { FpnnClient, Options } from "@rtm-voice/fpnn-transport"
import { Cause, Clock, Context, Effect, type Exit, Option, type References, Result, Tracer } from "effect"
import { isRetryable, type VoiceRoomError, VoiceRoomValidationError } from "../Errors.js"
import { type AnyOperation, buildRequest } from "../Operations.js"
import { toUnixSeconds } from "../Signing.js"
import type { ResolvedVoiceRoomOptions } from "./options.js"
import { prepare, type Prepared, serverOf, unsignedPayload } from "./prepare.js"
import { type CallEnv, callEnvOf, failIn, setRoomId, startSpan } from "./span.js"

export { RPC_SERVICE } from "./prepare.js"

/** What every call of one client shares. */
interface Client {
  readonly transport: FpnnClient["Service"]
  readonly resolved: ResolvedVoiceRoomOptions
  /** Milliseconds; undefined when the client has none: the transport's quest timeout applies. */
  readonly defaultTimeout: number | undefined
}

/** The reason's name: a tagged reason's `_tag`, a string reason, else the error's tag. */
const reasonOf = (e: { readonly _tag: string }): string => {
  const reason = (e as { reason?: unknown }).reason
  if (typeof reason === "string") return reason
  if (typeof reason === "object" && reason !== null && "_tag" in reason) return String(reason._tag)
  return e._tag
}

/** A failed call's failure series, and the failure on its span. */
const recordFailure = (
  p: Prepared,
  context: Context.Context<never>,
  span: Tracer.Span | undefined,
  exit: Exit.Exit<unknown, VoiceRoomError>
) => {
  if (exit._tag !== "Failure") return
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isNone(error)) return
  const e = error.value
  const reason = reasonOf(e)
  p.failures(e._tag, reason).updateUnsafe(1, context)
  if (span !== undefined) {
    span.attribute("error.type", e._tag)
    span.attribute("rtm.reason", reason)
    if (e._tag === "RtmError") span.attribute("rtm.code", e.code)
    if ("sent" in e) span.attribute("rtm.sent", (e as { sent: boolean }).sent)
  }
}

/** The function every method of a client calls: validated arguments → signed call → result. */
export const makeInvoke = (
  transport: FpnnClient["Service"],
  resolved: ResolvedVoiceRoomOptions
): (
  operation: AnyOperation,
  args: ReadonlyArray<unknown>,
  callOptions: unknown
) => Effect.Effect<unknown, VoiceRoomError> => {
  const client: Client = { transport, resolved, defaultTimeout: resolved.timeoutMillis }
  const server = serverOf(transport.endpoint)
  const prepared = new Map<AnyOperation, Prepared>()
  return (operation, args, callOptions) => {
    let p = prepared.get(operation)
    if (p === undefined) prepared.set(operation, p = prepare(transport, resolved, server, operation))
    return observe(client, p, args, callOptions)
  }
}

/**
 * The call in its span, with its metrics: one `withFiber` and one exit hook. The span is
 * not provided to the call's context: nothing on the connected path reads it, and the
 * transport runs a call that has to connect under it (`CallOptions.span`); the call's
 * failures carry the span's stack frame, as under `withSpan`.
 */
const observe = (client: Client, p: Prepared, args: ReadonlyArray<unknown>, callOptions: unknown) =>
  Effect.withFiber((fiber): Effect.Effect<unknown, VoiceRoomError> => {
    const context = fiber.context
    let env: CallEnv | undefined
    if (p.envContext === context) env = p.env
    else {
      env = callEnvOf(fiber, p.span)
      p.envContext = context
      p.env = env
    }
    if (env === undefined) return observeWithSpan(client, p, args, callOptions)
    const clock = env.clock
    const start = clock.currentTimeNanosUnsafe()
    const span = startSpan(env, p.span, start, p.spanAttributes)
    ;(env.metricAttributes ? p.calls : p.ownCalls).updateUnsafe(1, context)
    const effect = program(client, p, clock, args, callOptions, span, span, env.frame)
    const e = env
    return Effect.onExitPrimitive(effect, (exit) => {
      const end = clock.currentTimeNanosUnsafe()
      recordFailure(p, context, span, exit)
      if (span.status._tag !== "Ended") span.end(e.timing ? end : 0n, exit)
      ;(e.metricAttributes ? p.latency : p.ownLatency).updateUnsafe(Number(end - start) / 1e6, context)
      return undefined
    })
  })

/**
 * The call under `Effect.withSpan`, for a context `callEnvOf` leaves to it. Same span,
 * attributes and series as `observe`.
 */
const observeWithSpan = (client: Client, p: Prepared, args: ReadonlyArray<unknown>, callOptions: unknown) => {
  const observed = Effect.withFiber((fiber): Effect.Effect<unknown, VoiceRoomError> => {
    const context = fiber.context
    const clock = fiber.getRef(Clock.Clock)
    const start = clock.currentTimeNanosUnsafe()
    p.calls.updateUnsafe(1, context)
    const span = Context.getOption(context, Tracer.ParentSpan)
    const own = Option.isSome(span) && span.value._tag === "Span" ? span.value : undefined
    return Effect.onExitPrimitive(program(client, p, clock, args, callOptions, own, undefined, undefined), (exit) => {
      p.latency.updateUnsafe(Number(clock.currentTimeNanosUnsafe() - start) / 1e6, context)
      recordFailure(p, context, own, exit)
      return undefined
    })
  })
  return Effect.withSpan(observed, p.span, p.spanOptions)
}

/** A validation failure of the call (made only on a bad argument: no closure per call). */
const invalid = (frame: References.StackFrame | undefined, operation: string, parameter: string, message: string) =>
  failIn(frame, new VoiceRoomValidationError({ operation, parameter, message }))

/**
 * The validated request, signed and sent (retried for a read when the client has a
 * `readRetry`), or the validation failure; nothing is sent on a bad argument. The room
 * id goes on `span` (the call's). `transportSpan` goes to the transport and `frame`
 * annotates the failures (both undefined under `withSpan`, which provides them).
 */
const program = (
  client: Client,
  p: Prepared,
  clock: Clock.Clock,
  args: ReadonlyArray<unknown>,
  callOptions: unknown,
  span: Tracer.Span | undefined,
  transportSpan: Tracer.Span | undefined,
  frame: References.StackFrame | undefined
): Effect.Effect<unknown, VoiceRoomError> => {
  const { dialect, pid, readRetry } = client.resolved
  const operation = p.operation
  const name = operation.name
  if (callOptions !== undefined && (typeof callOptions !== "object" || callOptions === null)) {
    return invalid(
      frame,
      name,
      "options",
      `${name}: the last argument must be an options object ({ timeout }), got ${typeof callOptions}`
    )
  }
  const retry = operation.write ? undefined : readRetry
  let fields: Record<string, unknown> | VoiceRoomValidationError
  try {
    // Without retries, the fields go straight into the payload (one object per call).
    const into = retry === undefined ? unsignedPayload(pid) : {}
    fields = buildRequest(operation, dialect, args, callOptions as Readonly<Record<string, unknown>> | undefined, into)
  } catch (e) {
    // An exotic argument (a Proxy whose traps throw, a getter that throws): still a typed failure.
    return invalid(
      frame,
      name,
      "args",
      `${name}: an argument could not be read: ${e instanceof Error ? e.message : "it threw"}`
    )
  }
  if (fields instanceof VoiceRoomValidationError) return failIn(frame, fields)
  const rid = fields["rid"]
  if (rid !== undefined && span !== undefined) setRoomId(span, rid)
  let timeout = client.defaultTimeout
  if (callOptions !== undefined) {
    // Checked before anything is sent: 0, negative, NaN, "banana" or a Symbol is a typed failure.
    const checked = Options.resolveCallTimeout(callOptions, -1) // -1: no timeout given
    if (Result.isFailure(checked)) {
      return invalid(frame, name, `options.${checked.failure.option}`, `${name}: ${checked.failure.message}`)
    }
    if (checked.success !== -1) timeout = checked.success
  }
  const options = transportSpan === undefined
    ? (timeout === undefined ? undefined : { timeout })
    : { timeout, span: transportSpan }
  const handlers = p.handlersIn(frame)
  return retry === undefined
    ? p.send(p.signInto(fields, toUnixSeconds(clock.currentTimeMillisUnsafe())), options, handlers)
    : Effect.retry(p.attempt(fields, options, handlers), { schedule: retry, while: isRetryable })
}
