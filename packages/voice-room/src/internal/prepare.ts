/**
 * One operation's call as a client prepares it once (BENCHMARKS.md, "voice-room hot
 * path"): the metric series (a fresh `Metric.withAttributes` per call re-serializes its
 * key every time), the span options (no stack trace capture: a span per call must stay
 * cheap) and the answer decoder (synchronous: the answer schemas have no effects); and
 * one attempt of it, signed anew.
 */
import {
  type Client,
  type Codec,
  type FpnnCallError,
  FpnnClient,
  type FpnnOptionsError,
  Options
} from "@rtm-voice/fpnn-transport"
import {
  type Cause,
  Clock,
  type Context,
  Effect,
  Exit,
  Metric,
  type References,
  Result,
  Schema,
  SchemaIssue,
  Tracer
} from "effect"
import {
  decodeError as makeDecodeError,
  rtmErrorFromRemote,
  type VoiceRoomError,
  VoiceRoomValidationError
} from "../Errors.js"
import * as Metrics from "../Metrics.js"
import type { AnyOperation } from "../Operations.js"
import { makeSigner, nextSalt, toUnixSeconds } from "../Signing.js"
import { fastDecoderOf, NotFast } from "./answers.js"
import type { ResolvedVoiceRoomOptions } from "./options.js"
import { type CallEnv, failIn } from "./span.js"

/** `rpc.service` of every span and metric series. */
export const RPC_SERVICE = "VoiceRoom"

export interface Server {
  readonly address: string
  readonly port: number
}

export const serverOf = (endpoint: string): Server => {
  const parsed = Options.parseEndpoint(endpoint)
  return Result.isSuccess(parsed)
    ? { address: parsed.success.host, port: parsed.success.port }
    : { address: endpoint, port: 0 }
}

const issuePath = (issue: SchemaIssue.Issue): { field: string; detail: string } => {
  const first = SchemaIssue.makeFormatterStandardSchemaV1()(issue).issues[0]
  const path = (first?.path ?? []).map((k) => (typeof k === "object" && k !== null && "key" in k ? k.key : k))
  const field = path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("")
  return { field, detail: first?.message ?? "invalid" }
}

/**
 * The four authentication fields, then the operation's, in one object (a spread of two
 * objects per call shows in the profile). The retried path: a fresh payload per attempt.
 */
const signedPayload = (
  sign: Signer,
  pid: number,
  method: string,
  ts: number,
  fields: Record<string, unknown>
): Record<string, unknown> => {
  const salt = nextSalt()
  const payload: Record<string, unknown> = { pid, sign: sign(method, salt, ts), salt, ts }
  for (const key in fields) payload[key] = fields[key]
  return payload
}

type Signer = (method: string, salt: bigint, ts: number) => string

/**
 * The handlers of `Effect.matchCauseEffect` on the transport's call (one frame, no closure
 * per call), and `settle`, the same mapping of the transport's outcome with no Effect step
 * (for the transport's `call.startUnsafe`).
 */
export interface Handlers {
  readonly onFailure: (cause: Cause.Cause<FpnnCallError | FpnnOptionsError>) => Effect.Effect<never, VoiceRoomError>
  readonly onSuccess: (answer: unknown) => Effect.Effect<unknown, VoiceRoomError>
  readonly settle: (exit: Exit.Exit<Codec.Payload, FpnnCallError>) => Exit.Exit<unknown, VoiceRoomError>
}

const toError = (operation: AnyOperation) => (e: FpnnCallError | FpnnOptionsError): VoiceRoomError =>
  e._tag === "FpnnRemoteError"
    ? rtmErrorFromRemote(operation.name, e)
    : e._tag === "FpnnOptionsError"
    ? new VoiceRoomValidationError({ operation: operation.name, parameter: `options.${e.option}`, message: e.message })
    : e

/** A failure series per (error type, reason), made on the first such failure. */
const failureSeriesOf = (attributes: Record<string, string>) => {
  const failureSeries = new Map<string, Metric.Metric<number, Metric.CounterState<number>>>()
  return (type: string, reason: string) => {
    const key = `${type}/${reason}`
    let series = failureSeries.get(key)
    if (series === undefined) {
      series = Metric.withAttributes(Metrics.failures, { ...attributes, "error.type": type, "rtm.reason": reason })
      failureSeries.set(key, series)
    }
    return series
  }
}

/**
 * `Metrics.latency` (a timer) as the histogram under it, updated with milliseconds: same
 * id, description, boundaries and attributes (`time_unit` included), hence the same
 * registry series, without a `Duration` made and converted per call (in the allocation
 * profile of bench/client-sdk.mjs at 1,024 in flight, a tenth of the SDK's bytes per call).
 */
const latencyMillis = (attributes: Record<string, string> | undefined) =>
  Metric.histogram(Metrics.latency.id, {
    description: Metrics.latency.description,
    boundaries: latencyBoundaries,
    attributes: { ...attributes, time_unit: "milliseconds" }
  })

/** `Metric.timer`'s default boundaries. */
const latencyBoundaries = Metric.exponentialBoundaries({ start: 0.5, factor: 2, count: 35 })

export type Prepared = ReturnType<typeof prepare>

/**
 * A payload with the authentication fields first, in the Go SDK's order, to which
 * `buildRequest` adds the operation's fields and `signInto` the signature. Made with
 * every field of its final type, so that all payloads share one object shape.
 */
export const unsignedPayload = (pid: number): Record<string, unknown> => ({ pid, sign: "", salt: 0n, ts: 0 })

/**
 * The call's answer handlers: transport errors mapped, answers decoded. The common answer
 * shape takes the fast path; anything else (and every invalid answer) meets the schema and
 * its typed error.
 */
const answerHandlersOf = (operation: AnyOperation, method: string, schema: Schema.Codec<unknown, unknown>) => {
  const decode = Schema.decodeUnknownResult(schema)
  const fast = fastDecoderOf(schema)
  const decodeError = (issue: SchemaIssue.Issue) => {
    const { detail, field } = issuePath(issue)
    return makeDecodeError(operation.name, method, field, detail)
  }
  const fail = toError(operation)
  const decoded = (
    frame: References.StackFrame | undefined,
    answer: unknown
  ): Exit.Exit<unknown, VoiceRoomError> => {
    if (fast !== undefined) {
      const value = fast(answer)
      if (value !== NotFast) return Exit.succeed(value)
    }
    const result = decode(answer)
    return result._tag === "Success" ? Exit.succeed(result.success) : failIn(frame, decodeError(result.failure.issue))
  }
  const onError = (frame: References.StackFrame | undefined, e: FpnnCallError | FpnnOptionsError) =>
    failIn(frame, fail(e))
  const handlersOf = (frame: References.StackFrame | undefined): Handlers => {
    // What `Effect.matchEffect` does with a cause (its handlers object and closure are per
    // call): the one typed error mapped; a cause with a defect, or without a typed error,
    // left to `matchEffect` itself.
    const slow = {
      onFailure: (e: FpnnCallError | FpnnOptionsError) => onError(frame, e),
      onSuccess: Effect.succeed<never>
    }
    return {
      onFailure: (cause) => {
        const reasons = cause.reasons
        if (reasons.length === 1 && reasons[0]!._tag === "Fail") return onError(frame, reasons[0]!.error)
        return Effect.matchEffect(Effect.failCause(cause), slow)
      },
      onSuccess: (answer) => decoded(frame, answer),
      settle: (exit) => {
        if (exit._tag === "Success") return decoded(frame, exit.value)
        const reasons = exit.cause.reasons
        for (let i = 0; i < reasons.length; i++) {
          const reason = reasons[i]!
          if (reason._tag === "Fail") return onError(frame, reason.error)
        }
        // No typed error: an interruption (what the transport resumes an interrupted call
        // with) or a defect, which carry no error to map.
        return exit as Exit.Exit<never, never>
      }
    }
  }
  // By the stack frame failures carry: one per context in practice (span.ts).
  let lastFrame: References.StackFrame | undefined
  let lastHandlers = handlersOf(undefined)
  const handlersIn = (frame: References.StackFrame | undefined): Handlers => {
    if (frame !== lastFrame) {
      lastFrame = frame
      lastHandlers = handlersOf(frame)
    }
    return lastHandlers
  }
  return handlersIn
}

export const prepare = (
  transport: FpnnClient["Service"],
  resolved: ResolvedVoiceRoomOptions,
  server: Server,
  operation: AnyOperation
) => {
  const { dialect, pid } = resolved
  const method = operation.wire[dialect]
  // OpenTelemetry RPC conventions, plus the RTM attributes (README, Observability).
  const attributes: Record<string, string> = {
    "rpc.system": "fpnn",
    "rpc.service": RPC_SERVICE,
    "rpc.method": method,
    "server.address": server.address,
    "server.port": String(server.port),
    "rtm.operation": operation.name,
    "rtm.dialect": dialect
  }
  const spanAttributes = { ...attributes, "server.port": server.port, "rtm.method": method, "rtm.pid": pid }
  const handlersIn = answerHandlersOf(operation, method, operation.answer[dialect] as Schema.Codec<unknown, unknown>)
  const sign = makeSigner(pid, resolved.secret)
  return {
    operation,
    method,
    attributes,
    span: `VoiceRoom.${operation.name}`,
    spanOptions: { kind: "client", attributes: spanAttributes, captureStackTrace: false } satisfies Tracer.SpanOptions,
    /** The span's attributes, as `[key, value]` pairs (set with one loop, no object walk). */
    spanAttributes: Object.entries(spanAttributes),
    calls: Metric.withAttributes(Metrics.calls, attributes),
    latency: Metric.withAttributes(latencyMillis(undefined), attributes),
    // The same series (same name, options and attributes: one registry entry) with the
    // attributes in the metric itself, so that an update makes no context.
    ownCalls: Metric.counter(Metrics.calls.id, {
      description: Metrics.calls.description,
      incremental: true,
      attributes
    }),
    ownLatency: latencyMillis(attributes),
    failures: failureSeriesOf(attributes),
    /** The last context a call ran in, and what `callEnvOf` made of it (call.ts). */
    envContext: undefined as Context.Context<never> | undefined,
    env: undefined as CallEnv | undefined,
    /** Signs a payload of `unsignedPayload` in place: a fresh salt, `ts` and signature. */
    signInto: (payload: Record<string, unknown>, ts: number): Record<string, unknown> => {
      const salt = nextSalt()
      payload["sign"] = sign(method, salt, ts)
      payload["salt"] = salt
      payload["ts"] = ts
      return payload
    },
    handlersIn,
    /** One attempt with a signed payload: transport errors mapped, the answer decoded. */
    send: (payload: Record<string, unknown>, options: Client.CallOptions | undefined, handlers: Handlers) =>
      Effect.matchCauseEffect(transport.call(method, payload, options), handlers),
    // One attempt = one fresh salt and ts: a retry must not look like a replay (200006).
    // The clock is read from the fiber (TestClock in tests), without an Effect step.
    attempt: (fields: Record<string, unknown>, options: Client.CallOptions | undefined, handlers: Handlers) =>
      Effect.withFiber((fiber) =>
        Effect.matchCauseEffect(
          transport.call(
            method,
            signedPayload(
              sign,
              pid,
              method,
              toUnixSeconds(fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()),
              fields
            ),
            options
          ),
          handlers
        )
      )
  }
}
