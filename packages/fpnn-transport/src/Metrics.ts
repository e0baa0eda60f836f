/**
 * Connection metrics of the FPNN client (effect `Metric`), named after the OpenTelemetry
 * conventions. Attributes: `server.address`, `server.port`; failures and disconnects add
 * `fpnn.reason` (the connection error's reason, e.g. `Refused`, `Closed`, `Shutdown`).
 * They change once per connection event, never per call.
 */
import { Metric } from "effect"

/** Connections established (TCP, plus the key exchange when encrypted). */
export const connects = Metric.counter("fpnn.client.connects", {
  description: "FPNN connections established",
  incremental: true
})

/** Connection attempts that failed, by `fpnn.reason`. */
export const connectFailures = Metric.counter("fpnn.client.connect_failures", {
  description: "FPNN connection attempts that failed, by reason",
  incremental: true
})

/** Established connections that ended, by `fpnn.reason`. */
export const disconnects = Metric.counter("fpnn.client.disconnects", {
  description: "FPNN connections that ended, by reason",
  incremental: true
})

/** Duration of connection attempts (dial plus key exchange), successful or not. */
export const connectDuration = Metric.timer("fpnn.client.connect.duration", {
  description: "duration of FPNN connection attempts"
})
