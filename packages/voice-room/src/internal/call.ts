/**
 * A client's call of one operation: the arguments validated and the request built
 * (nothing sent on a bad one), the prepared attempt (prepare.ts) retried for reads when
 * the client has a `readRetry`, and the call's metrics and span attributes updated.
 */
import { type Client, FpnnClient, Options } from "@rtm-voice/fpnn-transport"
import { Cause, Clock, Context, Duration, Effect, type Exit, type Fiber, Option, Result, Tracer } from "effect"
import { isRetryable, type VoiceRoomError, VoiceRoomValidationError } from "../Errors.js"
import { type AnyOperation, buildRequest } from "../Operations.js"
import type { ResolvedVoiceRoomOptions } from "./options.js"
import { prepare, type Prepared, serverOf } from "./prepare.js"

export { RPC_SERVICE } from "./prepare.js"

/** What every call of one client shares. */
interface Client {
  readonly transport: FpnnClient["Service"]
  readonly resolved: ResolvedVoiceRoomOptions
  readonly defaultCallOptions: Client.CallOptions
}

/** The reason's name: a tagged reason's `_tag`, a string reason, else the error's tag. */
const reasonOf = (e: { readonly _tag: string }): string => {
  const reason = (e as { reason?: unknown }).reason
  if (typeof reason === "string") return reason
  if (typeof reason === "object" && reason !== null && "_tag" in reason) return String(reason._tag)
  return e._tag
}

/** A failed call's failure series, and the failure on its span (the fiber's parent span here). */
const recordFailure = (p: Prepared, context: Context.Context<never>, exit: Exit.Exit<unknown, VoiceRoomError>) => {
  if (exit._tag !== "Failure") return
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isNone(error)) return
  const e = error.value
  const reason = reasonOf(e)
  p.failures(e._tag, reason).updateUnsafe(1, context)
  const span = Context.getOption(context, Tracer.ParentSpan)
  if (Option.isSome(span) && span.value._tag === "Span") {
    span.value.attribute("error.type", e._tag)
    span.value.attribute("rtm.reason", reason)
    if (e._tag === "RtmError") span.value.attribute("rtm.code", e.code)
    if ("sent" in e) span.value.attribute("rtm.sent", (e as { sent: boolean }).sent)
  }
}

/** The function every method of a client calls: validated arguments → signed call → result. */
export const makeInvoke = (
  transport: FpnnClient["Service"],
  resolved: ResolvedVoiceRoomOptions
): (operation: AnyOperation, args: ReadonlyArray<unknown>, callOptions: unknown) => Effect.Effect<unknown, VoiceRoomError> => {
  const client: Client = { transport, resolved, defaultCallOptions: { timeout: resolved.timeoutMillis } }
  const server = serverOf(transport.endpoint)
  const prepared = new Map<AnyOperation, Prepared>()
  return (operation, args, callOptions) => {
    let p = prepared.get(operation)
    if (p === undefined) prepared.set(operation, p = prepare(transport, resolved, server, operation))
    return observe(client, p, args, callOptions)
  }
}

/**
 * The call in its span. Metrics are updated synchronously on the fiber's context, at the
 * start and at the exit of the call: the same series `Metric.update`/`trackDuration`/
 * `tapError` would update, without three Effect steps per call.
 */
const observe = (client: Client, p: Prepared, args: ReadonlyArray<unknown>, callOptions: unknown) => {
  const observed = Effect.withFiber((fiber): Effect.Effect<unknown, VoiceRoomError> => {
    const context = fiber.context
    const clock = fiber.getRef(Clock.Clock)
    const start = clock.currentTimeNanosUnsafe()
    p.calls.updateUnsafe(1, context)
    return Effect.onExitPrimitive(program(client, p, fiber, args, callOptions), (exit) => {
      p.latency.updateUnsafe(Duration.nanos(clock.currentTimeNanosUnsafe() - start), context)
      recordFailure(p, context, exit)
      return undefined
    })
  })
  return Effect.withSpan(observed, p.span, p.spanOptions)
}

const program = (
  client: Client,
  p: Prepared,
  fiber: Fiber.Fiber<unknown, unknown>,
  args: ReadonlyArray<unknown>,
  callOptions: unknown
): Effect.Effect<unknown, VoiceRoomError> => {
  const { dialect, readRetry } = client.resolved
  const defaultCallOptions = client.defaultCallOptions
  const operation = p.operation
  if (callOptions !== undefined && (typeof callOptions !== "object" || callOptions === null)) {
    return Effect.fail(
      new VoiceRoomValidationError({
        operation: operation.name,
        parameter: "options",
        message: `${operation.name}: the last argument must be an options object ({ timeout }), got ${typeof callOptions}`
      })
    )
  }
  let fields: Record<string, unknown> | VoiceRoomValidationError
  try {
    fields = buildRequest(operation, dialect, args, callOptions as Readonly<Record<string, unknown>> | undefined)
  } catch (e) {
    // An exotic argument (a Proxy whose traps throw, a getter that throws): still a typed failure.
    fields = new VoiceRoomValidationError({
      operation: operation.name,
      parameter: "args",
      message: `${operation.name}: an argument could not be read: ${e instanceof Error ? e.message : "it threw"}`
    })
  }
  if (fields instanceof VoiceRoomValidationError) return Effect.fail(fields)
  const rid = fields["rid"]
  if (rid !== undefined) {
    // The room id on this call's span (the span is the fiber's parent span here).
    const span = Context.getOption(fiber.context, Tracer.ParentSpan)
    if (Option.isSome(span) && span.value._tag === "Span") span.value.attribute("rtm.room_id", String(rid))
  }
  let timeout = defaultCallOptions
  if (callOptions !== undefined) {
    // Checked before anything is sent: 0, negative, NaN, "banana" or a Symbol is a typed failure.
    const checked = Options.resolveCallTimeout(callOptions, -1) // -1: no timeout given
    if (Result.isFailure(checked)) {
      return Effect.fail(
        new VoiceRoomValidationError({
          operation: operation.name,
          parameter: `options.${checked.failure.option}`,
          message: `${operation.name}: ${checked.failure.message}`
        })
      )
    }
    const millis = checked.success
    timeout = millis === -1 ? defaultCallOptions : { timeout: millis }
  }
  return operation.write || readRetry === undefined
    ? p.attempt(fields, timeout)
    : Effect.retry(p.attempt(fields, timeout), { schedule: readRetry, while: isRetryable })
}
