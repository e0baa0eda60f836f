/**
 * Metrics of voice-room calls (effect `Metric`), exported so an application can read
 * or export them. Attributes: `operation` (SDK name), `method` (wire name), `dialect`;
 * failures add `error` (the error's tag) and `reason` (RtmError reason, transport
 * reason, or the tag). Never the secret, the signature or user ids.
 */
import { Metric } from "effect"

/** Calls started (validation failures included). */
export const calls = Metric.counter("rtm_voice_calls_total", {
  description: "voice-room calls started",
  incremental: true
})

/** Calls that failed, by error tag and reason. */
export const failures = Metric.counter("rtm_voice_call_failures_total", {
  description: "voice-room calls that failed, by error tag and reason",
  incremental: true
})

/** Duration of completed calls (success or failure), retries included. */
export const latency = Metric.timer("rtm_voice_call_duration", {
  description: "duration of voice-room calls"
})
