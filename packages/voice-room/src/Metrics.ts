/**
 * Metrics of voice-room calls (effect `Metric`), named and attributed after the
 * OpenTelemetry RPC conventions, so an exporter (@effect/opentelemetry) publishes them
 * as they are. Attributes of every series: `rpc.system` (`fpnn`), `rpc.service`
 * (`VoiceRoom`), `rpc.method` (the wire method), `server.address`, `server.port`,
 * `rtm.operation` (the SDK name), `rtm.dialect`; failures add `error.type` (the error's
 * tag) and `rtm.reason` (RtmError reason, transport reason, or the tag). Never the
 * secret, the signature or user ids. The connection metrics, and the calls pending,
 * are the transport's (`FpnnMetrics` in @rtm-voice/fpnn-transport): they cost the call
 * path nothing (BENCHMARKS.md).
 */
import { Metric } from "effect"

/** Calls started (validation failures included). */
export const calls = Metric.counter("rpc.client.requests", {
  description: "voice-room calls started",
  incremental: true
})

/** Calls that failed, by `error.type` and `rtm.reason`. */
export const failures = Metric.counter("rpc.client.errors", {
  description: "voice-room calls that failed, by error type and reason",
  incremental: true
})

/** Duration of completed calls (success or failure), retries included. */
export const latency = Metric.timer("rpc.client.duration", {
  description: "duration of voice-room calls"
})
