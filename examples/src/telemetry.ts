/**
 * Example: the SDK's spans and metrics exported through OpenTelemetry with
 * `@effect/opentelemetry`.
 *
 * Every SDK call already runs in a span and updates the SDK's metrics (see the voice-room
 * package's `Metrics`); providing `NodeSdk.layer` turns effect's tracer and metrics into
 * OpenTelemetry ones, so they reach whatever exporter the application configures (OTLP in
 * production; the console in `main`; memory in the tests). The application's own spans
 * become the parents of the SDK's.
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ConsoleMetricExporter, type MetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { type Int64Input, VoiceRoomClient } from "@rtm-voice/voice-room"
import { Effect, Layer } from "effect"

/** OpenTelemetry for the application, with the span processor and metric reader given. */
export const Telemetry = (exporters: { readonly spanProcessor: SpanProcessor; readonly metricReader: MetricReader }) =>
  NodeSdk.layer(() => ({
    resource: { serviceName: "voice-rooms-example", serviceVersion: "1.0.0" },
    spanProcessor: exporters.spanProcessor,
    metricReader: exporters.metricReader
  }))

/** An application operation with a span of its own: the SDK's call spans are its children. */
export const seatGuests = (roomId: Int64Input, guests: ReadonlyArray<Int64Input>) =>
  Effect.gen(function*() {
    const rooms = yield* VoiceRoomClient
    yield* rooms.pullUserIntoVoiceRoom(roomId, guests)
    return yield* rooms.getVoiceRoomMemberCount(roomId)
  }).pipe(Effect.withSpan("lobby.seatGuests", { attributes: { "lobby.guests": guests.length } }))

/** Seats two guests, printing spans and metrics on the console. Configured from the environment. */
export const main = seatGuests(42n, [1001n, 1002n]).pipe(
  Effect.flatMap((count) => Effect.log(`room 42 has ${count} members`)),
  Effect.provide(
    Layer.merge(
      VoiceRoomClient.layerConfig(),
      Telemetry({
        spanProcessor: new BatchSpanProcessor(new ConsoleSpanExporter()),
        metricReader: new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter() })
      })
    )
  )
)

if (import.meta.url === `file://${process.argv[1]}`) NodeRuntime.runMain(main)
