// The SDK against the real emulator over 127.0.0.1: every operation in both dialects,
// the error paths, int64 ids, concurrency, and that the secret never leaks.
import { assert, describe, it, layer } from "@effect/vitest"
import { FpnnClient } from "@rtm-voice/fpnn-transport"
import { RawClientLayer, recordingTracer } from "@rtm-voice/test-support"
import {
  type Dialect,
  makeVoiceRoomClient,
  Metrics,
  RtmError,
  VoiceRoomClient,
  type VoiceRoomError,
  VoiceRoomValidationError
} from "@rtm-voice/voice-room"
import { VoiceRoomEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Exit, Layer, Logger, Metric, Option, Redacted, References } from "effect"
import { inspect } from "node:util"
import { EmulatorLayer, PID, sdk, SECRET, SECRET_TEXT, signed } from "./support.js"

const rtmReason = <A>(effect: Effect.Effect<A, VoiceRoomError>) =>
  Effect.map(Effect.flip(effect), (e) => {
    assert.instanceOf(e, RtmError, inspect(e))
    return [(e as RtmError).reason._tag, (e as RtmError).code] as const
  })

describe("VoiceRoomClient ↔ VoiceRoomEmulator", () => {
  layer(Layer.provideMerge(RawClientLayer, EmulatorLayer), { excludeTestServices: true })((it) => {
    for (const dialect of ["voice", "rtc"] as const satisfies ReadonlyArray<Dialect>) {
      it.effect(`every operation, ${dialect} dialect`, () =>
        Effect.gen(function*() {
          const emulator = yield* VoiceRoomEmulator
          yield* emulator.reset
          const client = yield* sdk({ dialect })
          const room = dialect === "voice" ? 100 : 200

          yield* client.pullUserIntoVoiceRoom(room, [1001, 1002])
          yield* client.pullUserIntoVoiceRoom(room, [1002n, 1003n]) // idempotent for 1002
          assert.strictEqual(yield* client.getVoiceRoomMemberCount(room), 3)
          yield* client.inviteUserIntoVoiceRoom(room, 1001, [2001, 2002])
          yield* client.setVoiceRoomMicStatus(room, false)
          yield* client.adminCommand(room, [1002], "grantAdministrator")
          yield* client.adminCommand(room, [1003], "forbidAudio")
          yield* client.kickoutFromVoiceRoom(room, 1003, 1001)

          const members = yield* client.getVoiceRoomMembers(room)
          assert.deepStrictEqual(
            members,
            dialect === "voice"
              ? { uids: [1001n, 1002n], managers: [1002n] }
              : { uids: [1001n, 1002n], managers: [1002n], owner: 1001n }
          )
          assert.deepStrictEqual(yield* client.getVoiceRoomList(), [BigInt(room)])

          const snapshot = (yield* emulator.room(BigInt(room)))!
          assert.deepStrictEqual(snapshot.invitations, [{ fromUid: 1001n, uids: [2001n, 2002n] }])
          assert.strictEqual(snapshot.micStatus, false)
          assert.deepStrictEqual(snapshot.adminCommands.map((c) => c.command), ["grantAdministrator", "forbidAudio"])

          yield* client.closeVoiceRoom(room)
          assert.deepStrictEqual(yield* client.getVoiceRoomList(), [])
          assert.strictEqual(yield* client.getVoiceRoomMemberCount(room), 0)

          // The dialect picked the wire names: only this era's methods reached the emulator.
          const methods = [...(yield* emulator.state).quests.keys()].filter((m) => m !== "adminCommand")
          assert.lengthOf(methods, 8)
          for (const m of methods) assert.include(m, dialect === "voice" ? "Voice" : "RTC")
        }))
    }

    it.effect("ids beyond 2^53 come back exact: room 2^53+1, uid 2^63-1", () =>
      Effect.gen(function*() {
        const client = yield* sdk()
        const room = 2n ** 53n + 1n
        const uid = 2n ** 63n - 1n
        yield* client.pullUserIntoVoiceRoom(room, [uid, 1])
        const members = yield* client.getVoiceRoomMembers(room)
        assert.deepStrictEqual(members.uids, [uid, 1n])
        assert.include(yield* client.getVoiceRoomList(), room)
        assert.strictEqual(yield* client.getVoiceRoomMemberCount(room), 2)
        // 2^53 + 1 as a *number* is already 2^53: refused before sending, pointing to bigint.
        const e = yield* Effect.flip(client.getVoiceRoomMemberCount(2 ** 53 + 2))
        assert.instanceOf(e, VoiceRoomValidationError)
        assert.include(e.message, "bigint")
        yield* client.closeVoiceRoom(room)
      }))

    it.effect("a wrong secret or a wrong pid → InvalidSignature (200002)", () =>
      Effect.gen(function*() {
        const wrongSecret = yield* sdk({ secret: Redacted.make("not-the-secret") })
        assert.deepStrictEqual(yield* rtmReason(wrongSecret.getVoiceRoomList()), ["InvalidSignature", 200002])
        const wrongPid = yield* sdk({ pid: PID + 1 })
        assert.deepStrictEqual(yield* rtmReason(wrongPid.closeVoiceRoom(1)), ["InvalidSignature", 200002])
      }))

    it.effect("replaying an identical signed payload → 200006", () =>
      Effect.gen(function*() {
        const raw = yield* FpnnClient
        const payload = signed("getVoiceRoomMemberCount", { rid: 5 })
        assert.deepStrictEqual(yield* raw.call("getVoiceRoomMemberCount", payload), { count: 0 })
        const e = yield* Effect.flip(raw.call("getVoiceRoomMemberCount", payload))
        assert.strictEqual(e._tag === "FpnnRemoteError" && e.code, 200006)
        // The SDK signs every call anew: the same call twice is fine.
        const client = yield* sdk()
        yield* client.getVoiceRoomMemberCount(5)
        yield* client.getVoiceRoomMemberCount(5)
      }))

    it.effect("a ts outside ±300 s → 200008 (raw), inside → OK", () =>
      Effect.gen(function*() {
        const raw = yield* FpnnClient
        const now = Math.floor(Date.now() / 1000)
        const stale = yield* Effect.flip(
          raw.call("getVoiceRoomList", signed("getVoiceRoomList", {}, { ts: now - 400 }))
        )
        assert.strictEqual(stale._tag === "FpnnRemoteError" && stale.code, 200008)
        yield* raw.call("getVoiceRoomList", signed("getVoiceRoomList", {}, { ts: now - 250 }))
      }))

    it.effect("not in room → NotInRoom (200040) for kick and invite", () =>
      Effect.gen(function*() {
        const client = yield* sdk()
        yield* client.pullUserIntoVoiceRoom(300, [1])
        assert.deepStrictEqual(yield* rtmReason(client.kickoutFromVoiceRoom(300, 2, 1)), ["NotInRoom", 200040])
        assert.deepStrictEqual(yield* rtmReason(client.inviteUserIntoVoiceRoom(300, 2, [3])), ["NotInRoom", 200040])
        assert.deepStrictEqual(yield* rtmReason(client.inviteUserIntoVoiceRoom(301, 1, [3])), ["NotInRoom", 200040])
      }))

    it.effect("invalid arguments are refused before anything is sent", () =>
      Effect.gen(function*() {
        const emulator = yield* VoiceRoomEmulator
        yield* emulator.reset
        const client = yield* sdk()
        const refused = [
          client.pullUserIntoVoiceRoom(1, []),
          client.inviteUserIntoVoiceRoom(1, 1, []),
          client.adminCommand(1, [], "allowAudio"),
          client.closeVoiceRoom(1.5),
          client.getVoiceRoomMembers(Number.NaN),
          client.getVoiceRoomMemberCount(2n ** 63n),
          client.invoke("setVoiceRoomMicStatus", [1, "yes"]),
          client.invoke("kickoutFromVoiceRoom", [1, "2", 3])
        ]
        const params: Array<string> = []
        for (const call of refused) {
          const e = yield* Effect.flip(call)
          assert.instanceOf(e, VoiceRoomValidationError)
          params.push((e as VoiceRoomValidationError).parameter)
        }
        assert.deepStrictEqual(params, ["uids", "uids", "uids", "roomId", "roomId", "roomId", "status", "uid"])
        assert.strictEqual((yield* emulator.state).quests.size, 0, "no quest reached the emulator")
      }))

    it.effect("missing / mistyped fields (raw client) surface as RtmError MissingField / WrongFieldType", () =>
      Effect.gen(function*() {
        // A real transport whose payloads lose or corrupt a field on the way out.
        const raw = yield* FpnnClient
        const tamper = (edit: (p: Record<string, unknown>) => Record<string, unknown>) =>
          makeVoiceRoomClient({
            ...raw,
            call: (method, payload, options) => raw.call(method, edit({ ...payload }), options)
          }, {
            pid: PID,
            secret: SECRET
          })
        const dropRid = yield* tamper(({ rid: _, ...rest }) => rest)
        assert.deepStrictEqual(yield* rtmReason(dropRid.closeVoiceRoom(1)), ["MissingField", 10009])
        const floatRid = yield* tamper((p) => ({ ...p, rid: 1.5 }))
        assert.deepStrictEqual(yield* rtmReason(floatRid.getVoiceRoomMembers(1)), ["WrongFieldType", 10010])
        const intStatus = yield* tamper((p) => ({ ...p, status: 1 }))
        assert.deepStrictEqual(yield* rtmReason(intStatus.setVoiceRoomMicStatus(1, true)), ["WrongFieldType", 10010])
        const floatUid = yield* tamper((p) => ({ ...p, toUids: [1, 0.5] }))
        assert.deepStrictEqual(yield* rtmReason(floatUid.pullUserIntoVoiceRoom(1, [1, 2])), ["WrongFieldType", 10010])
        const renamed = yield* makeVoiceRoomClient(
          { ...raw, call: (_method, payload, options) => raw.call("getVoiceRoomOwner", payload, options) },
          { pid: PID, secret: SECRET }
        )
        assert.deepStrictEqual(yield* rtmReason(renamed.getVoiceRoomList()), ["UnknownMethod", 20004])
      }))

    it.effect("1,000 concurrent calls on one connection", () =>
      Effect.gen(function*() {
        const client = yield* sdk()
        const uids = Array.from({ length: 1000 }, (_, i) => BigInt(10_000 + i))
        yield* Effect.forEach(uids, (uid) => client.pullUserIntoVoiceRoom(400, [uid]), {
          concurrency: "unbounded",
          discard: true
        })
        const counts = yield* Effect.forEach(uids, () => client.getVoiceRoomMemberCount(400), {
          concurrency: "unbounded"
        })
        assert.isTrue(counts.every((c) => c === 1000))
        const members = yield* client.getVoiceRoomMembers(400)
        assert.deepStrictEqual([...members.uids].sort((a, b) => (a < b ? -1 : 1)), uids)
      }))

    it.effect("calls update the metrics, failures by tag and reason", () =>
      Effect.gen(function*() {
        const client = yield* sdk()
        const [address, port] = client.endpoint.split(":") as [string, string]
        // OpenTelemetry RPC attributes, plus the RTM ones
        const attrs = {
          "rpc.system": "fpnn",
          "rpc.service": "VoiceRoom",
          "rpc.method": "kickoutFromVoiceRoom",
          "server.address": address,
          "server.port": port,
          "rtm.operation": "kickoutFromVoiceRoom",
          "rtm.dialect": "voice"
        }
        const calls = Metric.withAttributes(Metrics.calls, attrs)
        const notInRoom = Metric.withAttributes(Metrics.failures, {
          ...attrs,
          "error.type": "RtmError",
          "rtm.reason": "NotInRoom"
        })
        const before = [(yield* Metric.value(calls)).count, (yield* Metric.value(notInRoom)).count]
        yield* Effect.exit(client.kickoutFromVoiceRoom(999, 1, 2))
        const after = [(yield* Metric.value(calls)).count, (yield* Metric.value(notInRoom)).count]
        assert.deepStrictEqual([after[0]! - before[0]!, after[1]! - before[1]!], [1, 1])
        const latency = yield* Metric.value(Metric.withAttributes(Metrics.latency, attrs))
        assert.isAbove(latency.count, 0)
        assert.strictEqual(Metrics.latency.id, "rpc.client.duration")
      }))

    it.effect("spans: one per call, named after the operation, with room id and wire method; no secret anywhere", () =>
      Effect.gen(function*() {
        const { spans, tracer } = recordingTracer()
        const logs: Array<string> = []
        const capture = Logger.make((options) => {
          logs.push(inspect(options.message, { depth: 10 }))
        })
        const rtc = yield* sdk({ dialect: "rtc" })
        const wrong = yield* sdk({ secret: Redacted.make(SECRET_TEXT + "-x") })
        const failures: Array<unknown> = []
        yield* Effect.gen(function*() {
          yield* rtc.pullUserIntoVoiceRoom(2n ** 53n + 1n, [1])
          yield* rtc.getVoiceRoomMemberCount(2n ** 53n + 1n)
          for (
            const call of [
              wrong.getVoiceRoomList(),
              rtc.pullUserIntoVoiceRoom(1, []),
              rtc.kickoutFromVoiceRoom(5, 5, 5)
            ]
          ) {
            failures.push(yield* Effect.flip(call))
          }
          yield* Effect.logError("failures", ...failures)
        }).pipe(
          Effect.withTracer(tracer),
          Effect.provide(Logger.layer([capture])),
          Effect.provideService(References.MinimumLogLevel, "All")
        )
        const count = spans.find((s) => s.name === "VoiceRoom.getVoiceRoomMemberCount")!
        assert.isDefined(count)
        assert.strictEqual(count.attributes.get("rtm.method"), "getRTCRoomMemberCount")
        assert.strictEqual(count.attributes.get("rtm.room_id"), "9007199254740993")
        // OpenTelemetry RPC conventions
        assert.strictEqual(count.attributes.get("rpc.system"), "fpnn")
        assert.strictEqual(count.attributes.get("rpc.service"), "VoiceRoom")
        assert.strictEqual(count.attributes.get("rpc.method"), "getRTCRoomMemberCount")
        assert.strictEqual(count.attributes.get("server.address"), "127.0.0.1")
        assert.strictEqual(count.attributes.get("server.port"), Number(rtc.endpoint.split(":")[1]))
        assert.strictEqual(count.attributes.get("rtm.pid"), PID)
        assert.strictEqual(count.attributes.get("rtm.dialect"), "rtc")
        assert.isUndefined(count.attributes.get("error.type"))
        // a failure names its type, reason and code
        const list = spans.find((s) => s.name === "VoiceRoom.getVoiceRoomList")!
        assert.strictEqual(list.attributes.get("error.type"), "RtmError")
        assert.strictEqual(list.attributes.get("rtm.reason"), "InvalidSignature")
        assert.strictEqual(list.attributes.get("rtm.code"), 200002)
        const invalid = spans.find((s) =>
          s.name === "VoiceRoom.pullUserIntoVoiceRoom" && s.status._tag === "Ended" &&
          Exit.isFailure(s.status.exit)
        )!
        assert.strictEqual(invalid.attributes.get("error.type"), "VoiceRoomValidationError")
        // connecting has its own span, a child of the call that made the connection
        const pull = spans.find((s) => s.name === "VoiceRoom.pullUserIntoVoiceRoom")!
        const connect = spans.find((s) =>
          s.name === "FpnnClient.connect" && Option.isSome(s.parent) && s.parent.value.spanId === pull.spanId
        )
        assert.isDefined(connect)
        assert.strictEqual(connect!.attributes.get("rpc.system"), "fpnn")
        assert.strictEqual(connect!.attributes.get("server.address"), "127.0.0.1")
        assert.isTrue(connect!.status._tag === "Ended" && Exit.isSuccess(connect!.status.exit))
        assert.isTrue(count.status._tag === "Ended" && Exit.isSuccess(count.status.exit))
        assert.includeMembers(spans.map((s) => s.name), [
          "VoiceRoom.pullUserIntoVoiceRoom",
          "VoiceRoom.getVoiceRoomList",
          "VoiceRoom.kickoutFromVoiceRoom"
        ])
        const everything = [
          ...spans.map((s) => inspect(s, { depth: 12, showHidden: true })),
          ...failures.flatMap((
            e
          ) => [
            String(e),
            (e as Error).message,
            (e as Error).stack ?? "",
            JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
            inspect(e, { depth: 12, showHidden: true })
          ]),
          ...logs
        ].join("\n")
        assert.include(everything, "InvalidSignature", "the failures are in there")
        assert.notInclude(everything, SECRET_TEXT)
        assert.notInclude(everything, SECRET_TEXT.toUpperCase())
      }))
  })

  it.live("a server clock 10 minutes ahead → InvalidServerTime (200008)", () =>
    Effect.gen(function*() {
      const emulator = yield* VoiceRoomEmulator
      const transport = yield* FpnnClient.make({ endpoint: emulator.address })
      const client = yield* makeVoiceRoomClient(transport, { pid: PID, secret: SECRET })
      assert.deepStrictEqual(yield* rtmReason(client.getVoiceRoomList()), ["InvalidServerTime", 200008])
    }).pipe(
      Effect.provide(VoiceRoomEmulator.layer({ pid: PID, secret: SECRET, clock: () => Date.now() + 600_000 }))
    ))

  it.live("VoiceRoomClient.layer builds its own connection from options", () =>
    Effect.gen(function*() {
      const client = yield* VoiceRoomClient
      yield* client.pullUserIntoVoiceRoom(1, [7])
      assert.deepStrictEqual(yield* client.getVoiceRoomMembers(1), { uids: [7n], managers: [], owner: 7n })
      assert.strictEqual(client.dialect, "rtc")
    }).pipe(
      Effect.provide(
        Layer.unwrap(
          Effect.gen(function*() {
            const emulator = yield* VoiceRoomEmulator
            return VoiceRoomClient.layer({ endpoint: emulator.address, pid: PID, secret: SECRET, dialect: "rtc" })
          })
        ).pipe(Layer.provide(EmulatorLayer))
      )
    ))
})
