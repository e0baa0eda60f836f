/**
 * A client's call of one operation: the arguments validated and the request built
 * (nothing sent on a bad one), the prepared attempt (prepare.ts) retried for reads when
 * the client has a `readRetry`, and the call's metrics and span attributes updated.
 */
import { Client as FpnnClientModule, type FpnnClient, Options } from "@rtm-voice/fpnn-transport"
import { Cause, Clock, Context, Effect, Exit, Fiber, Option, type References, Result, Tracer } from "effect"
import { isRetryable, type VoiceRoomError, VoiceRoomValidationError } from "../Errors.js"
import { type AnyOperation, buildRequest } from "../Operations.js"
import { toUnixSeconds } from "../Signing.js"
import type { ResolvedVoiceRoomOptions } from "./options.js"
import { type Handlers, prepare, type Prepared, serverOf, unsignedPayload } from "./prepare.js"
import {
  type CallEnv,
  callEnvOf,
  type CallTime,
  endSpan,
  failIn,
  millisBetween,
  setRoomId,
  startSpan,
  timeNow
} from "./span.js"

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
 * The call in its span, with its metrics. Connected, on the live clock and without
 * retries, the whole call is one `Effect.callback`: its register starts the span, checks
 * the arguments and hands the signed quest to the transport's `call.startUnsafe`, whose resume
 * decodes the answer, ends the span, updates the metrics and resumes the fiber, all
 * without an Effect step (BENCHMARKS.md, "Steps": each primitive per call shows at 1,024
 * in flight). Any other case resumes with the same call as Effects under one exit hook.
 * The span is not provided to the call's context: nothing on the connected path reads it,
 * and the transport runs a call that has to connect under it (`CallOptions.span`); the
 * call's failures carry the span's stack frame, as under `withSpan`.
 */
const observe = (client: Client, p: Prepared, args: ReadonlyArray<unknown>, callOptions: unknown) =>
  Effect.callback<unknown, VoiceRoomError>((resume) => {
    const fiber = Fiber.getCurrent()!
    const context = fiber.context
    let env: CallEnv | undefined
    if (p.envContext === context) env = p.env
    else {
      env = callEnvOf(fiber, p.span)
      p.envContext = context
      p.env = env
    }
    if (env === undefined) return resume(observeWithSpan(client, p, args, callOptions))
    const e = env
    const start = timeNow(e)
    const span = startSpan(e, p.span, start, p.spanAttributes)
    ;(e.metricAttributes ? p.calls : p.ownCalls).updateUnsafe(1, context)
    const frame = e.frame
    const retry = p.operation.write ? undefined : client.resolved.readRetry
    const fields = requestFields(client, p, args, callOptions, span, frame, retry === undefined)
    if (Exit.isExit(fields)) {
      endCall(p, e, context, span, start, fields)
      return resume(fields)
    }
    const timeout = timeoutOf(client, p, callOptions, frame)
    if (Exit.isExit(timeout)) {
      endCall(p, e, context, span, start, timeout)
      return resume(timeout)
    }
    const handlers = p.handlersIn(frame)
    if (retry !== undefined) {
      return resume(Effect.onExitPrimitive(
        retried(p, fields, timeout, span, handlers, retry),
        endHook(p, e, context, span, start)
      ))
    }
    const payload = p.signInto(fields, toUnixSeconds(e.clock.currentTimeMillisUnsafe()))
    const startUnsafe = client.transport.call.startUnsafe
    // The one closure of a connected call: the transport's outcome, decoded, ends the call.
    const started = startUnsafe === undefined ? FpnnClientModule.NotStarted : startUnsafe(
      p.method,
      payload,
      timeout,
      (answer) => {
        const exit = handlers.settle(answer)
        endCall(p, e, context, span, start, exit)
        resume(exit)
      }
    )
    if (started !== FpnnClientModule.NotStarted) return started
    resume(Effect.onExitPrimitive(p.send(payload, { timeout, span }, handlers), endHook(p, e, context, span, start)))
  })

/** The end of a call: its failure series and span attributes, its span ended, its latency. */
const endCall = (
  p: Prepared,
  e: CallEnv,
  context: Context.Context<never>,
  span: Tracer.Span,
  start: CallTime,
  exit: Exit.Exit<unknown, VoiceRoomError>
): void => {
  const now = timeNow(e)
  recordFailure(p, context, span, exit)
  if (span.status._tag !== "Ended") endSpan(e, span, now, exit)
  ;(e.metricAttributes ? p.latency : p.ownLatency).updateUnsafe(millisBetween(start, now), context)
}

/** `endCall` as an exit hook, for a call that runs as Effects. */
const endHook = (p: Prepared, e: CallEnv, context: Context.Context<never>, span: Tracer.Span, start: CallTime) =>
(
  exit: Exit.Exit<unknown, VoiceRoomError>
) => {
  endCall(p, e, context, span, start, exit)
  return undefined
}

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
    return Effect.onExitPrimitive(program(client, p, clock, args, callOptions, own), (exit) => {
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
 * The call's request fields, or its validation failure (nothing is sent on a bad
 * argument): the options object checked, the arguments read and checked. Without
 * retries the fields are the payload itself (`unsignedPayload`: one object per call). The
 * room id goes on `span` (the call's); `frame` annotates the failures (undefined under
 * `withSpan`, which provides it).
 */
const requestFields = (
  client: Client,
  p: Prepared,
  args: ReadonlyArray<unknown>,
  callOptions: unknown,
  span: Tracer.Span | undefined,
  frame: References.StackFrame | undefined,
  intoPayload: boolean
): Record<string, unknown> | Exit.Exit<never, VoiceRoomError> => {
  const { dialect, pid } = client.resolved
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
  let fields: Record<string, unknown> | VoiceRoomValidationError
  try {
    const into = intoPayload ? unsignedPayload(pid) : {}
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
  return fields
}

/**
 * The call's timeout in milliseconds (the per-call one, else the client's; undefined:
 * the transport's), or its validation failure: 0, negative, NaN, "banana" or a Symbol
 * fails before anything is sent.
 */
const timeoutOf = (
  client: Client,
  p: Prepared,
  callOptions: unknown,
  frame: References.StackFrame | undefined
): number | undefined | Exit.Exit<never, VoiceRoomError> => {
  if (callOptions === undefined) return client.defaultTimeout
  const checked = Options.resolveCallTimeout(callOptions, -1) // -1: no timeout given
  if (Result.isFailure(checked)) {
    const name = p.operation.name
    return invalid(frame, name, `options.${checked.failure.option}`, `${name}: ${checked.failure.message}`)
  }
  return checked.success === -1 ? client.defaultTimeout : checked.success
}

/** A read under the client's `readRetry`: each attempt signed anew (prepare.ts). */
const retried = (
  p: Prepared,
  fields: Record<string, unknown>,
  timeout: number | undefined,
  transportSpan: Tracer.Span | undefined,
  handlers: Handlers,
  retry: NonNullable<ResolvedVoiceRoomOptions["readRetry"]>
) =>
  Effect.retry(p.attempt(fields, transportOptions(timeout, transportSpan), handlers), {
    schedule: retry,
    while: isRetryable
  })

/** The transport's options for a call through `FpnnClient.call`. */
const transportOptions = (timeout: number | undefined, span: Tracer.Span | undefined) =>
  span === undefined ? (timeout === undefined ? undefined : { timeout }) : { timeout, span }

/**
 * The whole call as an Effect, under `withSpan` (which provides the span and the frame):
 * the validated request signed and sent, retried for a read when the client has a
 * `readRetry`, or the validation failure.
 */
const program = (
  client: Client,
  p: Prepared,
  clock: Clock.Clock,
  args: ReadonlyArray<unknown>,
  callOptions: unknown,
  span: Tracer.Span | undefined
): Effect.Effect<unknown, VoiceRoomError> => {
  const retry = p.operation.write ? undefined : client.resolved.readRetry
  const fields = requestFields(client, p, args, callOptions, span, undefined, retry === undefined)
  if (Exit.isExit(fields)) return fields
  const timeout = timeoutOf(client, p, callOptions, undefined)
  if (Exit.isExit(timeout)) return timeout
  const handlers = p.handlersIn(undefined)
  return retry === undefined
    ? p.send(
      p.signInto(fields, toUnixSeconds(clock.currentTimeMillisUnsafe())),
      transportOptions(timeout, undefined),
      handlers
    )
    : retried(p, fields, timeout, undefined, handlers, retry)
}
