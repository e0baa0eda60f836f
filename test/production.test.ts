// A service on the SDK: the startup check, the connection state and events seen through
// VoiceRoomClient, the connection logs (annotated, without the secret), and the spans
// and metrics as an OpenTelemetry SDK exports them (@effect/opentelemetry, in-memory
// exporters).
import * as OtelMetrics from "@effect/opentelemetry/OtelMetrics"
import * as OtelTracer from "@effect/opentelemetry/OtelTracer"
import * as Resource from "@effect/opentelemetry/Resource"
import { assert, describe, expect, it } from "@effect/vitest"
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader
} from "@opentelemetry/sdk-metrics"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { Client } from "@rtm-voice/fpnn-transport"
import { freePort } from "@rtm-voice/test-support"
import { VoiceRoomClient } from "@rtm-voice/voice-room"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Exit, Layer, Logger, Redacted, References, Scope, Stream } from "effect"
import { inspect } from "node:util"
import { PID, SECRET, SECRET_TEXT } from "./support.js"

const emulator = makeEmulator({ pid: PID, secret: SECRET })

describe("startup check (connect: \"eager\")", () => {
  it.live("a good configuration: the Layer connects while it is built, before any call", () =>
    Effect.gen(function*() {
      const gateway = yield* emulator
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        VoiceRoomClient.layer({ endpoint: gateway.address, pid: PID, secret: SECRET, connect: "eager" }),
        scope
      )
      const client = context.mapUnsafe.get(VoiceRoomClient.key) as VoiceRoomClient["Service"]
      expect((yield* client.connectionState)._tag).toBe("Connected")
      expect(yield* gateway.connectionCount).toBe(1)
      yield* Scope.close(scope, Exit.void)
    }))

  it.live("a wrong secret fails the Layer with RtmError InvalidSignature", () =>
    Effect.gen(function*() {
      const gateway = yield* emulator
      const layer = VoiceRoomClient.layer({
        endpoint: gateway.address,
        pid: PID,
        secret: Redacted.make("not-the-secret"),
        connect: "eager"
      })
      const e = yield* Effect.flip(Effect.scoped(Layer.build(layer)))
      assert(e._tag === "RtmError")
      expect(e.reason._tag).toBe("InvalidSignature")
    }))

  it.live("nothing listening fails the Layer with FpnnConnectionError Refused, not sent", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const layer = VoiceRoomClient.layer({ endpoint: `127.0.0.1:${port}`, pid: PID, secret: SECRET, connect: "eager" })
      const e = yield* Effect.flip(Effect.scoped(Layer.build(layer)))
      assert(e._tag === "FpnnConnectionError")
      expect(e.reason._tag).toBe("Refused")
      expect(e.sent).toBe(false)
    }))

  it.live("a connect option other than \"lazy\" or \"eager\" fails the Layer with VoiceRoomOptionsError", () =>
    Effect.gen(function*() {
      const layer = VoiceRoomClient.layer({
        endpoint: "127.0.0.1:1",
        pid: PID,
        secret: SECRET,
        connect: "sometimes" as unknown as "eager"
      })
      const e = yield* Effect.flip(Effect.scoped(Layer.build(layer)))
      assert(e._tag === "VoiceRoomOptionsError")
      expect(e.option).toBe("connect")
    }))

  it.live("lazy (the default): building the Layer makes no connection", () =>
    Effect.gen(function*() {
      const gateway = yield* emulator
      yield* Effect.scoped(Layer.build(VoiceRoomClient.layer({ endpoint: gateway.address, pid: PID, secret: SECRET })))
      expect(yield* gateway.connectionCount).toBe(0)
    }))
})

describe("connection state, events and logs through VoiceRoomClient", () => {
  it.live("state changes and events are observable; connect, loss and backoff are logged with endpoint and pid", () =>
    Effect.gen(function*() {
      const logs: Array<{ level: string; message: string; annotations: Record<string, unknown> }> = []
      const capture = Logger.make((options) => {
        logs.push({
          level: options.logLevel,
          message: inspect(options.message, { depth: 6 }),
          annotations: { ...options.fiber.getRef(References.CurrentLogAnnotations) }
        })
      })
      const gatewayScope = yield* Scope.make()
      const gateway = yield* emulator.pipe(Scope.provide(gatewayScope))
      const states: Array<Client.ConnectionState> = []
      const events: Array<string> = []
      yield* Effect.gen(function*() {
        const client = yield* VoiceRoomClient
        yield* client.connectionStateChanges.pipe(
          Stream.runForEach((s) => Effect.sync(() => states.push(s))),
          Effect.forkScoped
        )
        yield* client.connectionEvents.pipe(
          Stream.runForEach((e) => Effect.sync(() => events.push(e._tag))),
          Effect.forkScoped
        )
        yield* Effect.sleep(5)
        yield* client.getVoiceRoomMemberCount(1)
        yield* Scope.close(gatewayScope, Exit.void) // the gateway goes away
        yield* Effect.sleep(50)
        yield* Effect.exit(client.getVoiceRoomMemberCount(1, { timeout: "300 millis" }))
      }).pipe(
        Effect.provide(VoiceRoomClient.layer({ endpoint: gateway.address, pid: PID, secret: SECRET })),
        Effect.scoped,
        Effect.provide(Logger.layer([capture])),
        Effect.provideService(References.MinimumLogLevel, "All")
      )
      expect(states.slice(0, 3).map((s) => s._tag)).toEqual(["Idle", "Connecting", "Connected"])
      expect(states.map((s) => s._tag)).toContain("BackingOff")
      expect(events.slice(0, 2)).toEqual(["Connected", "Closed"])
      expect(events).toContain("ReconnectScheduled")
      expect(events).toContain("ConnectFailed")

      const find = (text: string) => logs.find((l) => l.message.includes(text))
      const connected = find("connected to")
      assert(connected !== undefined)
      expect(connected.level).toBe("Debug")
      expect(connected.annotations).toMatchObject({ endpoint: gateway.address, pid: PID })
      const ended = find("ended")
      assert(ended !== undefined)
      expect(ended.level).toBe("Warn")
      expect(ended.annotations).toMatchObject({ endpoint: gateway.address, pid: PID, "fpnn.reason": "Closed" })
      const backoff = find("reconnecting to")
      assert(backoff !== undefined)
      expect(backoff.level).toBe("Debug")
      const failed = find("connecting to")
      assert(failed !== undefined)
      if (process.env.REL_DEBUG) console.log(logs)
      expect(logs.filter((l) => l.level === "Warn").some((l) => l.annotations["fpnn.reason"] === "Refused")).toBe(true)
      expect(JSON.stringify(logs)).not.toContain(SECRET_TEXT)
    }))
})

describe("OpenTelemetry export (@effect/opentelemetry, in-memory exporters)", () => {
  it.live("spans follow the RPC conventions, connecting has its own span; metrics carry OTel names", () =>
    Effect.gen(function*() {
      const spans = new InMemorySpanExporter()
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
      const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
      const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 60_000 })
      const Otel = Layer.mergeAll(
        OtelTracer.layer.pipe(Layer.provide(Layer.succeed(OtelTracer.OtelTracerProvider, provider))),
        OtelMetrics.layer(() => reader)
      ).pipe(Layer.provide(Resource.layer({ serviceName: "rooms-service" })))

      const gateway = yield* emulator
      yield* Effect.gen(function*() {
        const client = yield* VoiceRoomClient
        yield* client.pullUserIntoVoiceRoom(42, [1, 2])
        yield* client.getVoiceRoomMemberCount(42)
        yield* Effect.exit(client.kickoutFromVoiceRoom(42, 9, 1)) // 9 is not in the room
        yield* Effect.promise(() => reader.forceFlush())
      }).pipe(
        Effect.provide(VoiceRoomClient.layer({ endpoint: gateway.address, pid: PID, secret: SECRET })),
        Effect.provide(Otel)
      )

      const finished = spans.getFinishedSpans()
      const [address, port] = gateway.address.split(":")
      const count = finished.find((s) => s.name === "VoiceRoom.getVoiceRoomMemberCount")
      assert(count !== undefined)
      expect(count.attributes).toMatchObject({
        "rpc.system": "fpnn",
        "rpc.service": "VoiceRoom",
        "rpc.method": "getVoiceRoomMemberCount",
        "server.address": address,
        "server.port": Number(port),
        "rtm.pid": PID,
        "rtm.room_id": "42",
        "rtm.dialect": "voice"
      })
      expect(count.attributes["error.type"]).toBeUndefined()
      const kick = finished.find((s) => s.name === "VoiceRoom.kickoutFromVoiceRoom")
      assert(kick !== undefined)
      expect(kick.status.code).toBe(2) // ERROR
      expect(kick.attributes).toMatchObject({ "error.type": "RtmError", "rtm.reason": "NotInRoom" })
      expect(typeof kick.attributes["rtm.code"]).toBe("number")
      // connecting: its own span, under the call that made the connection
      const pull = finished.find((s) => s.name === "VoiceRoom.pullUserIntoVoiceRoom")
      const connect = finished.find((s) => s.name === "FpnnClient.connect")
      assert(pull !== undefined && connect !== undefined)
      expect(connect.parentSpanContext?.spanId).toBe(pull.spanContext().spanId)
      expect(connect.attributes).toMatchObject({ "rpc.system": "fpnn", "server.address": address })
      expect(JSON.stringify(finished.map((s) => ({ a: s.attributes, e: s.events })))).not.toContain(SECRET_TEXT)

      const names = new Set(
        metrics.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)))
      )
      for (
        const name of [
          "rpc.client.duration",
          "rpc.client.requests",
          "rpc.client.errors",
          "fpnn.client.connects",
          "fpnn.client.calls.pending"
        ]
      ) {
        expect(names, name).toContain(name)
      }
      const requests = metrics.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
        .find((m) => m.descriptor.name === "rpc.client.requests")!
      expect(requests.dataPoints.some((p) => p.attributes["rpc.method"] === "getVoiceRoomMemberCount")).toBe(true)
    }))
})
