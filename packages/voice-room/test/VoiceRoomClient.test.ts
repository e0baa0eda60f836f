// The client against small FPNN servers built for each case (real sockets on
// 127.0.0.1): timeouts, interruption, retries, answer decoding, error mapping, config.
import { assert, describe, it } from "@effect/vitest"
import { type Codec, FpnnClient, FpnnErrorAnswer, FpnnServer, type Server } from "@rtm-voice/fpnn-transport"
import { recordingTracer } from "@rtm-voice/test-support"
import { ConfigProvider, Duration, Effect, Exit, Fiber, Layer, Metric, Redacted, Schedule } from "effect"
import {
  makeVoiceRoomClient,
  RtmError,
  VoiceRoomClient,
  type VoiceRoomClientOptions,
  VoiceRoomDecodeError,
  VoiceRoomOptionsError
} from "../src/index.js"

const SECRET = Redacted.make("unit-secret")

const setup = (
  handlers: Record<string, Server.QuestHandler>,
  options: Partial<VoiceRoomClientOptions> = {},
  transport: { readonly questTimeout?: Duration.Input } = {}
) =>
  Effect.gen(function*() {
    const server = yield* FpnnServer.make({ handlers })
    const fpnn = yield* FpnnClient.make({ endpoint: server.address, ...transport })
    const client = yield* makeVoiceRoomClient(fpnn, { pid: 7, secret: SECRET, ...options })
    return { server, fpnn, client }
  })

const never: Server.QuestHandler = () => Effect.never
const answer = (payload: Codec.Payload): Server.QuestHandler => () => Effect.succeed(payload)
const elapsed = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const start = Date.now()
    const exit = yield* Effect.exit(effect)
    return [exit, Date.now() - start] as const
  })

describe("VoiceRoomClient", () => {
  it.live("timeout: per call, else the client default, else the transport's", () =>
    Effect.gen(function*() {
      // the default is far from the per-call timeout, so that a loaded machine cannot blur them
      const { client } = yield* setup({ getVoiceRoomMemberCount: never }, { timeout: "1200 millis" })
      const [perCall, perCallMs] = yield* elapsed(client.getVoiceRoomMemberCount(1, { timeout: 100 }))
      const [byDefault, byDefaultMs] = yield* elapsed(client.getVoiceRoomMemberCount(1))
      for (const [exit, ms] of [[perCall, 100], [byDefault, 1200]] as const) {
        assert.isTrue(Exit.isFailure(exit))
        const e = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
        assert.strictEqual(e?._tag === "Fail" && e.error._tag === "FpnnTimeoutError" && e.error.timeoutMillis, ms)
      }
      assert.isBelow(perCallMs, 1200) // the per-call timer fired, not the default's
      assert.isAtLeast(byDefaultMs, 1180)

      const bare = yield* setup({ getVoiceRoomMemberCount: never }, {}, { questTimeout: 150 })
      const e = yield* Effect.flip(bare.client.getVoiceRoomMemberCount(1))
      assert.strictEqual(e._tag === "FpnnTimeoutError" && e.timeoutMillis, 150)
    }))

  it.live("connected calls end their span and update their series on every outcome, interruption included", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const { client, fpnn, server } = yield* setup({
        getVoiceRoomMemberCount: (p) =>
          p["rid"] === 1n || p["rid"] === 1
            ? Effect.succeed({ count: 3 })
            : p["rid"] === 2n || p["rid"] === 2
            ? Effect.fail(new FpnnErrorAnswer({ code: 200040, ex: "not in room" }))
            : Effect.never
      })
      yield* fpnn.connect
      const outcomes = yield* Effect.gen(function*() {
        const ok = yield* client.getVoiceRoomMemberCount(1)
        const remote = yield* Effect.flip(client.getVoiceRoomMemberCount(2))
        const invalid = yield* Effect.flip(client.getVoiceRoomMemberCount(1.5))
        const fiber = yield* Effect.forkChild(client.getVoiceRoomMemberCount(3))
        while ((yield* fpnn.pendingCount) === 0) yield* Effect.sleep(5)
        yield* Fiber.interrupt(fiber)
        return { ok, remote: remote._tag, invalid: invalid._tag }
      }).pipe(Effect.withTracer(tracer))
      assert.deepStrictEqual(outcomes, { ok: 3, remote: "RtmError", invalid: "VoiceRoomValidationError" })
      assert.strictEqual(yield* fpnn.pendingCount, 0)

      assert.deepStrictEqual(spans.map((s) => s.name), Array(4).fill("VoiceRoom.getVoiceRoomMemberCount"))
      const ends = spans.map((s) => s.status._tag === "Ended" ? s.status.exit : undefined)
      assert.isTrue(ends[0] !== undefined && Exit.isSuccess(ends[0]))
      assert.strictEqual(spans[1]!.attributes.get("error.type"), "RtmError")
      assert.strictEqual(spans[2]!.attributes.get("error.type"), "VoiceRoomValidationError")
      const interrupted = ends[3]
      assert.isTrue(
        interrupted !== undefined && Exit.isFailure(interrupted) &&
          interrupted.cause.reasons.every((r) => r._tag === "Interrupt")
      )
      assert.isUndefined(spans[3]!.attributes.get("error.type"))
      assert.strictEqual(spans[0]!.attributes.get("rtm.room_id"), "1")

      // This server's series (its port is in their attributes).
      const port = server.address.split(":")[1]
      const series = (yield* Metric.snapshot).filter((m) => m.attributes?.["server.port"] === port)
      const count = (id: string, type?: string) =>
        series.filter((m) => m.id === id && (type === undefined || m.attributes?.["error.type"] === type))
          .reduce((n, m) => n + (m.state as { count: number }).count, 0)
      assert.strictEqual(count("rpc.client.requests"), 4)
      assert.strictEqual(count("rpc.client.duration"), 4)
      assert.strictEqual(count("rpc.client.errors", "RtmError"), 1)
      assert.strictEqual(count("rpc.client.errors", "VoiceRoomValidationError"), 1)
      assert.strictEqual(count("rpc.client.errors"), 2) // an interruption is not a failure
    }))

  it.live("interrupting a call frees its slot; the connection stays usable", () =>
    Effect.gen(function*() {
      const { client, fpnn } = yield* setup({ getVoiceRoomMemberCount: never, getVoiceRoomList: answer({ rids: [3] }) })
      const fiber = yield* Effect.forkChild(client.getVoiceRoomMemberCount(1))
      yield* Effect.sleep(50)
      assert.strictEqual(yield* fpnn.pendingCount, 1)
      yield* Fiber.interrupt(fiber)
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit) && exit.cause.reasons.every((r) => r._tag === "Interrupt"))
      assert.strictEqual(yield* fpnn.pendingCount, 0)
      assert.deepStrictEqual(yield* client.getVoiceRoomList(), [3n])
    }))

  it.live("readRetry: reads retried on retryable errors, each attempt freshly signed; writes never", () =>
    Effect.gen(function*() {
      const salts: Array<unknown> = []
      let closes = 0
      let members = 0
      const { client } = yield* setup(
        {
          getVoiceRoomMemberCount: (p) => {
            salts.push(p["salt"])
            return salts.length < 3
              ? Effect.fail(new FpnnErrorAnswer({ code: 200010, ex: "frequency limited" }))
              : Effect.succeed({ count: 5 })
          },
          getVoiceRoomMembers: () => {
            members++
            return Effect.fail(new FpnnErrorAnswer({ code: 200021, ex: "permission denied" }))
          },
          closeVoiceRoom: () => {
            closes++
            return Effect.fail(new FpnnErrorAnswer({ code: 200010, ex: "frequency limited" }))
          }
        },
        { readRetry: Schedule.recurs(5) }
      )
      assert.strictEqual(yield* client.getVoiceRoomMemberCount(1), 5)
      assert.strictEqual(new Set(salts).size, 3, "three attempts, three salts")

      const write = yield* Effect.flip(client.closeVoiceRoom(1))
      assert.isTrue(write instanceof RtmError && write.reason._tag === "FrequencyLimited" && write.isRetryable)
      assert.strictEqual(closes, 1, "a write is sent once")

      const denied = yield* Effect.flip(client.getVoiceRoomMembers(1))
      assert.isTrue(denied instanceof RtmError && denied.reason._tag === "PermissionDenied" && !denied.isRetryable)
      assert.strictEqual(members, 1, "a non-retryable read error is not retried")
    }))

  it.live("without readRetry a read is sent once", () =>
    Effect.gen(function*() {
      let n = 0
      const { client } = yield* setup({
        getVoiceRoomList: () => {
          n++
          return Effect.fail(new FpnnErrorAnswer({ code: 200010, ex: "slow down" }))
        }
      })
      yield* Effect.flip(client.getVoiceRoomList())
      assert.strictEqual(n, 1)
    }))

  it.live("error answers become RtmError with reason, code, ex, raiser, operation and wire method", () =>
    Effect.gen(function*() {
      const { client } = yield* setup(
        {
          adminCommand: () => Effect.fail(new FpnnErrorAnswer({ code: 200026, ex: "admin only", raiser: "RTMGated" })),
          getRTCRoomList: () => Effect.fail(new FpnnErrorAnswer({ code: 123456, ex: "new code" }))
        },
        { dialect: "rtc" }
      )
      const e = yield* Effect.flip(client.adminCommand(1, [2], "closeMicrophones"))
      assert.instanceOf(e, RtmError)
      const { code, ex, method, operation, raiser, reason } = e as RtmError
      assert.deepStrictEqual({ code, ex, method, operation, raiser, reason }, {
        code: 200026,
        ex: "admin only",
        method: "adminCommand",
        operation: "adminCommand",
        raiser: "RTMGated",
        reason: { _tag: "AdminOnly" }
      })
      const unknown = yield* Effect.flip(client.getVoiceRoomList())
      assert.isTrue(unknown instanceof RtmError && unknown.reason._tag === "Unknown" && unknown.code === 123456)
    }))

  it.live("answers that do not fit → VoiceRoomDecodeError naming the field", () =>
    Effect.gen(function*() {
      const voice = yield* setup({
        getVoiceRoomMemberCount: answer({ count: "3" }),
        getVoiceRoomMembers: answer({ uids: [1, 1.5], managers: [] }),
        getVoiceRoomList: answer({})
      })
      const rtc = yield* setup({ getRTCRoomMembers: answer({ uids: [], administrators: [] }) }, { dialect: "rtc" })
      const cases = [
        [voice.client.getVoiceRoomMemberCount(1), "count"],
        [voice.client.getVoiceRoomMembers(1), "uids[1]"],
        [voice.client.getVoiceRoomList(), "rids"],
        [rtc.client.getVoiceRoomMembers(1), "owner"]
      ] as const
      for (const [call, field] of cases) {
        const e = yield* Effect.flip(call as Effect.Effect<unknown, unknown>)
        assert.instanceOf(e, VoiceRoomDecodeError)
        assert.strictEqual((e as VoiceRoomDecodeError).field, field)
        assert.include((e as VoiceRoomDecodeError).message, field)
      }
    }))

  it.live("the request: auth fields first, Go key order, bigint salt, upper-hex sign, no secret", () =>
    Effect.gen(function*() {
      const seen: Array<Codec.Payload> = []
      const record: Server.QuestHandler = (p) => Effect.sync(() => void seen.push(p))
      const voice = yield* setup({ kickoutFromVoiceRoom: record })
      const rtc = yield* setup({ pullIntoRTCRoom: record }, { dialect: "rtc" })
      yield* voice.client.kickoutFromVoiceRoom(42, 1002, 1001)
      yield* rtc.client.pullUserIntoVoiceRoom(42, [1])
      assert.deepStrictEqual(Object.keys(seen[0]!), ["pid", "sign", "salt", "ts", "rid", "fromUid", "uid"])
      assert.deepStrictEqual([seen[0]!["fromUid"], seen[0]!["uid"]], [1001, 1002])
      assert.match(seen[0]!["sign"] as string, /^[0-9A-F]{32}$/)
      assert.isAbove(Number(seen[0]!["salt"]), Date.now() * 900)
      assert.approximately(seen[0]!["ts"] as number, Date.now() / 1000, 5)
      assert.deepStrictEqual(seen[1]!["type"], 1)
      assert.notInclude(JSON.stringify(seen, (_k, v) => (typeof v === "bigint" ? String(v) : v)), "unit-secret")
    }))

  it.effect("options are validated", () =>
    Effect.gen(function*() {
      const fake = { endpoint: "x:1" } as never
      for (
        const [options, parameter] of [
          [{ pid: 0, secret: SECRET }, "pid"],
          [{ pid: 2 ** 31, secret: SECRET }, "pid"],
          [{ pid: 1, secret: Redacted.make("") }, "secret"],
          [{ pid: 1, secret: 42 }, "secret"],
          [{ pid: 1, secret: SECRET, dialect: "v2" }, "dialect"]
        ] as const
      ) {
        const e = yield* Effect.flip(makeVoiceRoomClient(fake, options as never))
        assert.instanceOf(e, VoiceRoomOptionsError)
        assert.strictEqual(e.option, parameter)
        assert.isFalse(e.sent)
      }
    }))

  it.live("layerConfig reads RTM_ENDPOINT, RTM_PID, RTM_SECRET, RTM_TIMEOUT (ms), RTM_DIALECT", () =>
    Effect.gen(function*() {
      const server = yield* FpnnServer.make({ handlers: { getRTCRoomMemberCount: never } })
      const env = {
        RTM_ENDPOINT: server.address,
        RTM_PID: "11000001",
        RTM_SECRET: "env-secret",
        RTM_TIMEOUT: "120",
        RTM_DIALECT: "rtc"
      }
      const e = yield* Effect.gen(function*() {
        const client = yield* VoiceRoomClient
        assert.deepStrictEqual([client.pid, client.dialect, client.endpoint], [11000001, "rtc", server.address])
        return yield* Effect.flip(client.getVoiceRoomMemberCount(1))
      }).pipe(
        Effect.provide(
          VoiceRoomClient.layerConfig().pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))
        )
      )
      assert.isTrue(e._tag === "FpnnTimeoutError" && e.timeoutMillis === 120 && e.method === "getRTCRoomMemberCount")

      const missing = yield* Effect.flip(
        Effect.provide(
          Effect.map(VoiceRoomClient, (c) => c.pid),
          VoiceRoomClient.layerConfig().pipe(
            Layer.provide(
              ConfigProvider.layer(ConfigProvider.fromUnknown({ RTM_ENDPOINT: server.address, RTM_PID: "1" }))
            )
          )
        )
      )
      assert.strictEqual(missing._tag, "ConfigError")
      assert.include(missing.message, "RTM_SECRET")
    }))
})
