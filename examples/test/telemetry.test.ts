// The telemetry example with in-memory exporters: the SDK's spans and metrics arrive in
// OpenTelemetry, under the application's own span.
import { assert, describe, layer } from "@effect/vitest"
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader
} from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { VoiceRoomClient } from "@rtm-voice/voice-room"
import { VoiceRoomEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Layer, Redacted } from "effect"
import { seatGuests, Telemetry } from "../src/telemetry.js"

const pid = 11000001
const secret = Redacted.make("examples-otel-secret")
const SECRET_TEXT = Redacted.value(secret)

const spans = new InMemorySpanExporter()
const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
// A long interval: the test collects by flushing, not by waiting.
const metricReader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 3_600_000 })

const Emulator = VoiceRoomEmulator.layer({ pid, secret })
const Client = Layer.unwrap(
  Effect.map(VoiceRoomEmulator, (emulator) => VoiceRoomClient.layer({ endpoint: emulator.address, pid, secret }))
)
const App = Layer.mergeAll(
  Client,
  Telemetry({ spanProcessor: new SimpleSpanProcessor(spans), metricReader })
).pipe(Layer.provideMerge(Emulator))

describe("examples/telemetry", () => {
  layer(App, { excludeTestServices: true })((it) => {
    it.effect("exports the application's span, the SDK's call spans under it, and the SDK's metrics", () =>
      Effect.gen(function*() {
        const count = yield* seatGuests(9007199254740993n, [1001n, 1002n])
        assert.strictEqual(count, 2)

        const finished = spans.getFinishedSpans()
        const parent = finished.find((s) => s.name === "lobby.seatGuests")
        assert.isDefined(parent, finished.map((s) => s.name).join(", "))
        assert.strictEqual(parent!.attributes["lobby.guests"], 2)
        assert.strictEqual(parent!.resource.attributes["service.name"], "voice-rooms-example")
        const children = finished.filter((s) => s.parentSpanContext?.spanId === parent!.spanContext().spanId)
        const names = children.map((s) => s.name).join(", ")
        assert.isTrue(children.some((s) => /pullUserIntoVoiceRoom|pullIntoVoiceRoom/.test(s.name)), names)
        assert.isTrue(children.some((s) => /getVoiceRoomMemberCount/.test(s.name)), names)
        for (const s of finished) assert.notInclude(JSON.stringify(s.attributes), SECRET_TEXT)

        yield* Effect.promise(() => metricReader.forceFlush())
        const exported = metrics.getMetrics().flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics))
        const metricNames = exported.map((m) => m.descriptor.name).join(", ")
        // OTel's RPC client metrics, named by the semantic conventions
        const requests = exported.filter((m) => m.descriptor.name === "rpc.client.requests")
        assert.isAbove(requests.length, 0, metricNames)
        assert.isTrue(exported.some((m) => m.descriptor.name === "rpc.client.duration"), metricNames)
        // the requests counter counted both calls
        const callCounts = requests.flatMap((m) => m.dataPoints.map((p) => Number(p.value)))
        assert.isAtLeast(callCounts.reduce((a, b) => a + b, 0), 2)
      }))
  })
})
