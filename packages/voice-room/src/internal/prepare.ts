/**
 * One operation's call as a client prepares it once (BENCHMARKS.md, "voice-room hot
 * path"): the metric series (a fresh `Metric.withAttributes` per call re-serializes its
 * key every time), the span options (no stack trace capture: a span per call must stay
 * cheap) and the answer decoder (synchronous: the answer schemas have no effects); and
 * one attempt of it, signed anew.
 */
import { type Client, type FpnnCallError, FpnnClient, type FpnnOptionsError, Options } from "@rtm-voice/fpnn-transport"
import { Clock, Effect, Metric, Result, Schema, SchemaIssue, Tracer } from "effect"
import { rtmErrorFromRemote, decodeError as makeDecodeError, type VoiceRoomError, VoiceRoomValidationError } from "../Errors.js"
import * as Metrics from "../Metrics.js"
import type { AnyOperation } from "../Operations.js"
import { authFields, nextSalt, toUnixSeconds } from "../Signing.js"
import type { ResolvedVoiceRoomOptions } from "./options.js"

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
 * objects per call shows in the profile).
 */
const signedPayload = (
  resolved: ResolvedVoiceRoomOptions,
  method: string,
  ts: number,
  fields: Record<string, unknown>
): Record<string, unknown> => {
  const payload: Record<string, unknown> = authFields(resolved.pid, resolved.secret, method, nextSalt(), ts)
  for (const key in fields) payload[key] = fields[key]
  return payload
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

export type Prepared = ReturnType<typeof prepare>

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
  const decode = Schema.decodeUnknownResult(operation.answer[dialect] as Schema.Codec<unknown, unknown>)
  const decodeError = (issue: SchemaIssue.Issue) => {
    const { detail, field } = issuePath(issue)
    return makeDecodeError(operation.name, method, field, detail)
  }
  const fail = toError(operation)
  return {
    operation,
    method,
    attributes,
    span: `VoiceRoom.${operation.name}`,
    spanOptions: {
      kind: "client",
      attributes: { ...attributes, "server.port": server.port, "rtm.method": method, "rtm.pid": pid },
      captureStackTrace: false
    } satisfies Tracer.SpanOptions,
    calls: Metric.withAttributes(Metrics.calls, attributes),
    latency: Metric.withAttributes(Metrics.latency, attributes),
    failures: failureSeriesOf(attributes),
    // One attempt = one fresh salt and ts: a retry must not look like a replay (200006).
    // The clock is read from the fiber (TestClock in tests), without an Effect step.
    attempt: (fields: Record<string, unknown>, timeout: Client.CallOptions) =>
      Effect.withFiber((fiber) =>
        Effect.matchEffect(
          transport.call(
            method,
            signedPayload(resolved, method, toUnixSeconds(fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()), fields),
            timeout
          ),
          {
            onFailure: (e): Effect.Effect<never, VoiceRoomError> => Effect.fail(fail(e)),
            onSuccess: (answer): Effect.Effect<unknown, VoiceRoomError> => {
              const result = decode(answer)
              return result._tag === "Success" ? Effect.succeed(result.success) : Effect.fail(decodeError(result.failure.issue))
            }
          }
        )
      )
  }
}
