// Security: the project secret never appears in a log line, an error (its message,
// stack, JSON, inspection, cause chain), a span (name, attributes, events, status), a
// metric, or on the wire — across successes and every kind of failure. The emulator
// rejects replayed quests (also captured bytes replayed on another connection) and is
// reachable on 127.0.0.1 only unless told otherwise. (The CLI's output is checked in
// cli.test.ts.)
import { describe, expect, it } from "@effect/vitest"
import { Codec, FpnnClient, Frame } from "@rtm-voice/fpnn-transport"
import { recordingTracer, tcpProxy } from "@rtm-voice/test-support"
import { authFields, nextSalt, sign, VoiceRoomClient, type VoiceRoomError } from "@rtm-voice/voice-room"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Cause, Effect, Exit, Logger, Metric, Redacted, References } from "effect"
import * as Net from "node:net"
import { networkInterfaces } from "node:os"
import { inspect } from "node:util"
import { faultPeer, freePort, guardProcess, PID, SECRET, SECRET_TEXT, voiceClient } from "./support.js"

guardProcess()

/** Everything an error can show, its causes included (depth-first). */
const renderError = (e: unknown, depth = 0): string => {
  if (depth > 5 || e === null || e === undefined) return ""
  const parts = [String(e), inspect(e, { depth: 12, showHidden: true, getters: true })]
  if (typeof e === "object") {
    const err = e as { message?: unknown; stack?: unknown; cause?: unknown; toJSON?: () => unknown }
    parts.push(String(err.message), String(err.stack))
    try {
      parts.push(JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? String(v) : v)))
    } catch {
      // cyclic: inspect above covers it
    }
    parts.push(renderError(err.cause, depth + 1))
  }
  return parts.join("\n")
}

const expectClean = (text: string, what: string) => {
  if (what !== "control") expect(() => expectClean(`…${SECRET_TEXT}…`, "control")).toThrow() // the check can fail
  expect(text.length, `${what} is empty: the check would prove nothing`).toBeGreaterThan(0)
  for (
    const needle of [
      SECRET_TEXT,
      SECRET_TEXT.toUpperCase(),
      SECRET_TEXT.toLowerCase(),
      Buffer.from(SECRET_TEXT).toString("base64"),
      Buffer.from(SECRET_TEXT).toString("hex")
    ]
  ) {
    expect(text.includes(needle), `${what} contains the secret (${needle.slice(0, 12)}…)`).toBe(false)
  }
}

describe("the secret never leaks", () => {
  it.live(
    "logs, spans, errors with their causes, metrics and wire bytes, across successes and every kind of failure",
    () =>
      Effect.gen(function*() {
        const { spans, tracer } = recordingTracer()
        const logs: Array<string> = []
        const logger = Logger.make((options) => void logs.push(inspect(options, { depth: 12, showHidden: true })))
        const failures: Array<VoiceRoomError> = []
        const causes: Array<string> = []

        const emulator = yield* makeEmulator({ pid: PID, secret: SECRET })
        // a recording TCP proxy in front of the emulator: every byte both ways
        const proxy = yield* tcpProxy(emulator.port)
        const silent = yield* faultPeer("silent")
        const garbage = yield* faultPeer("garbage")
        const refused = yield* freePort

        const program = Effect.gen(function*() {
          const good = (yield* voiceClient(proxy.endpoint)).client
          const wrongSecret =
            (yield* voiceClient(proxy.endpoint, { secret: Redacted.make(`${SECRET_TEXT}-wrong`) })).client
          // an untyped caller
          const plainString = (yield* voiceClient(proxy.endpoint, { secret: SECRET_TEXT as never })).client
          const timingOut = (yield* voiceClient(silent.endpoint)).client
          const broken = (yield* voiceClient(garbage.endpoint)).client
          const down = (yield* voiceClient(`127.0.0.1:${refused}`)).client
          yield* Effect.logInfo("clients", good, wrongSecret, plainString)

          yield* good.pullUserIntoVoiceRoom(2n ** 53n + 1n, [1, 2])
          yield* plainString.getVoiceRoomMemberCount(2n ** 53n + 1n)
          yield* good.getVoiceRoomMembers(2n ** 53n + 1n)
          const failing: ReadonlyArray<Effect.Effect<unknown, VoiceRoomError>> = [
            wrongSecret.getVoiceRoomList(), // RtmError InvalidSignature
            good.kickoutFromVoiceRoom(404, 1, 2), // RtmError NotInRoom
            good.pullUserIntoVoiceRoom(1, []), // validation
            good.invoke("closeVoiceRoom", [Number.NaN]), // validation
            // Oversized
            good.pullUserIntoVoiceRoom(1, Array.from({ length: 1_000_000 }, (_, i) => 2n ** 40n + BigInt(i))),
            timingOut.getVoiceRoomList({ timeout: 100 }), // timeout
            broken.getVoiceRoomList(), // protocol violation
            down.getVoiceRoomList() // refused
          ]
          for (const call of failing) {
            const exit = yield* Effect.exit(call)
            if (Exit.isSuccess(exit)) throw new Error("expected a failure")
            causes.push(Cause.pretty(exit.cause))
            failures.push(...exit.cause.reasons.flatMap((r) => (r._tag === "Fail" ? [r.error] : [])))
          }
          yield* Effect.logError("failures", ...failures)
          yield* Effect.logWarning(Cause.fail(failures[0]))
        })
        yield* program.pipe(
          Effect.withTracer(tracer),
          Effect.provide(Logger.layer([logger])),
          Effect.provideService(References.MinimumLogLevel, "All"),
          Effect.scoped
        )

        expect(new Set(failures.map((f) => `${f._tag}${"reason" in f ? `/${f.reason._tag}` : ""}`))).toEqual(
          new Set([
            "RtmError/InvalidSignature",
            "RtmError/NotInRoom",
            "VoiceRoomValidationError",
            "FpnnProtocolError/Oversized",
            "FpnnTimeoutError",
            "FpnnConnectionError/ProtocolViolation",
            "FpnnConnectionError/Refused"
          ])
        )
        expect(spans.length).toBeGreaterThanOrEqual(11)
        const spanText = spans
          .map((s) =>
            [
              s.name,
              inspect(s, { depth: 12, showHidden: true }),
              JSON.stringify([...s.attributes], (_k, v) => (typeof v === "bigint" ? String(v) : v)),
              inspect(s.events, { depth: 12 })
            ].join("\n")
          )
          .join("\n")
        expectClean(spanText, "spans")
        expectClean(failures.map((f) => renderError(f)).join("\n"), "errors")
        expectClean(causes.join("\n"), "Cause.pretty")
        expectClean(logs.join("\n"), "logs")
        expect(logs.join("\n")).toContain("InvalidSignature") // the failures really were logged
        const metrics = yield* Metric.snapshot
        expectClean(inspect(metrics, { depth: 12 }), "metrics")
        // the wire: the secret is only ever hashed into `sign`, never sent in any encoding
        const bytes = proxy.wire()
        expect(bytes.length).toBeGreaterThan(100)
        expectClean(bytes.toString("latin1"), "wire bytes (latin1)")
        expectClean(bytes.toString("utf8"), "wire bytes (utf8)")
      }),
    30_000
  )

  it.live("the layer built from configuration keeps the secret redacted", () =>
    Effect.gen(function*() {
      const emulator = yield* makeEmulator({ pid: PID, secret: SECRET })
      const layer = VoiceRoomClient.layer({ endpoint: emulator.address, pid: PID, secret: SECRET })
      const text = yield* Effect.gen(function*() {
        const client = yield* VoiceRoomClient
        expect(yield* client.getVoiceRoomList()).toEqual([])
        return [
          inspect(client, { depth: 12, showHidden: true }),
          String(SECRET),
          JSON.stringify({ SECRET }),
          inspect(SECRET)
        ].join("\n")
      }).pipe(Effect.provide(layer))
      expectClean(text, "client and Redacted renderings")
    }))
})

describe("the emulator", () => {
  it.live("rejects a replay: the exact bytes of a real quest, captured and replayed on another connection → 200006; a re-salted copy with the old sign → 200002", () =>
    Effect.gen(function*() {
      const emulator = yield* makeEmulator({ pid: PID, secret: SECRET })
      const proxy = yield* tcpProxy(emulator.port)
      const { client } = yield* voiceClient(proxy.endpoint)
      yield* client.pullUserIntoVoiceRoom(31, [1])
      const quest = proxy.up()
      expect(quest.length).toBeGreaterThan(16)

      const replay = (bytes: Uint8Array) =>
        Effect.callback<{ status: number; payload: Record<string, unknown> }>((resume) => {
          const socket = Net.connect(emulator.port, "127.0.0.1", () => socket.write(bytes))
          const reader = new Frame.FrameReader()
          socket.on("data", (d) =>
            reader.push(d, (f) => {
              if (f._tag !== "Answer") return
              socket.destroy()
              resume(Effect.succeed({ status: f.status, payload: Codec.decodePayload(f.payload) }))
            }))
          socket.on("error", () => {})
        }).pipe(Effect.timeout("2 seconds"))
      const again = yield* replay(quest)
      expect(again.status).not.toBe(0)
      expect(again.payload.code).toBe(200006)

      // a fresh salt with the captured sign: the signature no longer matches
      const ts = Math.floor(Date.now() / 1000)
      const fields = { rid: 31n, toUids: [2n] }
      const honest = authFields(PID, SECRET, "pullIntoVoiceRoom", nextSalt(), ts)
      const forged = { ...honest, salt: honest.salt + 1n, ...fields }
      const answer = yield* replay(Frame.encodeQuest("pullIntoVoiceRoom", 9, Codec.encodePayload(forged)))
      expect(answer.payload.code).toBe(200002)
      expect(sign({ pid: PID, secret: SECRET, salt: forged.salt, method: "pullIntoVoiceRoom", ts })).not.toBe(
        forged.sign
      )
      // neither got through: user 2 is not in the room
      expect((yield* emulator.room(31n))?.members).toEqual([1n])
    }))

  it.live("binds 127.0.0.1 unless told otherwise: unreachable on the machine's other addresses; reachable there with host 0.0.0.0", () =>
    Effect.gen(function*() {
      const external = Object.values(networkInterfaces()).flat().find((a) =>
        a !== undefined && a.family === "IPv4" && !a.internal
      )
      const reach = (host: string, port: number) =>
        Effect.callback<string>((resume) => {
          const s = Net.connect(port, host, () => {
            s.destroy()
            resume(Effect.succeed("connected"))
          })
          s.on("error", (e: NodeJS.ErrnoException) => resume(Effect.succeed(e.code ?? "error")))
        }).pipe(Effect.timeoutOrElse({ duration: "2 seconds", orElse: () => Effect.succeed("timeout") }))

      const local = yield* makeEmulator({ pid: PID, secret: SECRET })
      expect(local.host).toBe("127.0.0.1")
      expect(local.address).toBe(`127.0.0.1:${local.port}`)
      expect(yield* reach("127.0.0.1", local.port)).toBe("connected")
      if (external === undefined) return // a machine with loopback only: nothing more to prove
      expect(yield* reach(external.address, local.port)).not.toBe("connected")

      const open = yield* makeEmulator({ pid: PID, secret: SECRET, host: "0.0.0.0" })
      expect(yield* reach(external.address, open.port)).toBe("connected") // the probe itself works
      // and a client over that address works end to end
      const transport = yield* FpnnClient.make({ endpoint: `${external.address}:${open.port}` })
      expect((yield* transport.call("*ping", {})).ts).toBeDefined()
    }))
})
