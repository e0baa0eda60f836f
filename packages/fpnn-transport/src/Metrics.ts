/**
 * Connection metrics of the FPNN client (effect `Metric`), named after the OpenTelemetry
 * conventions. Attributes: `server.address`, `server.port`; failures and disconnects add
 * `fpnn.reason` (the connection error's reason, e.g. `Refused`, `Closed`, `Shutdown`).
 * They change once per connection event, never per call.
 */
import { Context, Metric } from "effect"

/** A counter that only goes up (every counter here is one). */
const counter = (name: string, description: string) => Metric.counter(name, { description, incremental: true })

/** Connections established (TCP, plus the key exchange when encrypted). */
export const connects = counter("fpnn.client.connects", "FPNN connections established")

/** Connection attempts that failed, by `fpnn.reason`. */
export const connectFailures = counter(
  "fpnn.client.connect_failures",
  "FPNN connection attempts that failed, by reason"
)

/** Established connections that ended, by `fpnn.reason`. */
export const disconnects = counter("fpnn.client.disconnects", "FPNN connections that ended, by reason")

/** Duration of connection attempts (dial plus key exchange), successful or not. */
export const connectDuration = Metric.timer("fpnn.client.connect.duration", {
  description: "duration of FPNN connection attempts"
})

/**
 * Calls sent and awaiting their answer, summed over the live clients of one endpoint.
 * Read when the metrics are read (a snapshot, an exporter), never updated per call.
 */
export const pendingCalls = Metric.gauge("fpnn.client.calls.pending", {
  description: "FPNN calls sent and awaiting an answer"
})

interface PendingSeries {
  readonly sources: Set<() => number>
  readonly registration: Metric.Registration
}
const pendingSeries = new WeakMap<Metric.MetricRegistry, Map<string, PendingSeries>>()

/**
 * Adds a client's pending count to the `pendingCalls` series of its endpoint, in the
 * registry of `context`; the returned function takes it out again.
 */
export const trackPending = (
  context: Context.Context<never>,
  attributes: Readonly<Record<string, string>>,
  read: () => number
): () => void => {
  const registry = Context.get(context, Metric.MetricRegistry)
  let byKey = pendingSeries.get(registry)
  if (byKey === undefined) pendingSeries.set(registry, byKey = new Map())
  const key = JSON.stringify(attributes)
  let series = byKey.get(key)
  if (series === undefined) {
    const sources = new Set<() => number>()
    const registration = Metric.registerUnsafe(Metric.withAttributes(pendingCalls, attributes), context, {
      get: () => {
        let value = 0
        for (const source of sources) value += source()
        return { value }
      },
      update: () => {},
      modify: () => {}
    })
    byKey.set(key, series = { sources, registration })
  }
  const { registration, sources } = series
  sources.add(read)
  return () => {
    sources.delete(read)
    if (sources.size === 0 && byKey.get(key) === series) {
      byKey.delete(key)
      registration.remove()
    }
  }
}
