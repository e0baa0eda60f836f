// The voice-room client's options and errors at every boundary: every option × every
// invalid class fails the Layer with VoiceRoomOptionsError naming it (never a defect,
// never a hang); per-call timeouts are checked before sending; layerConfig takes a
// Config.Wrap and names the variable; reasons are tagged (catchReason compiles and
// works); errors serialise; the Layers' error channels at the type level.
import { assert, describe, it } from "@effect/vitest"
import { FpnnClient, FpnnErrorAnswer, FpnnServer, type Server } from "@rtm-voice/fpnn-transport"
import { Cause, Config, ConfigProvider, Context, Effect, Exit, Layer, Redacted, Schema } from "effect"
import { generateKeyPairSync } from "node:crypto"
import {
  RtmError,
  VoiceRoomClient,
  type VoiceRoomClientLayerOptions,
  type VoiceRoomConfigFileError,
  type VoiceRoomError,
  VoiceRoomOptionsError,
  VoiceRoomValidationError
} from "../src/index.js"

const SECRET = Redacted.make("unit-secret")
const ok = { endpoint: "127.0.0.1:1", pid: 7, secret: SECRET }
const throwing = (key: string) =>
  Object.defineProperty({ ...ok }, key, {
    enumerable: true,
    get() {
      throw new Error("getter says no")
    }
  })
const badDurations: ReadonlyArray<readonly [string, unknown]> = [
  ["zero", 0],
  ["negative", -1],
  ["NaN", NaN],
  ["unparseable", "banana"],
  ["negative string", "-5 seconds"],
  ["Symbol", Symbol("t")],
  ["object", { banana: 1 }]
]
const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" })

type Case = readonly [name: string, options: unknown, option: string]
const cases: ReadonlyArray<Case> = [
  ["pid 0", { ...ok, pid: 0 }, "pid"],
  ["pid 2^31", { ...ok, pid: 2 ** 31 }, "pid"],
  ["pid NaN", { ...ok, pid: NaN }, "pid"],
  ["pid a string", { ...ok, pid: "7" }, "pid"],
  ["pid a Symbol", { ...ok, pid: Symbol("p") }, "pid"],
  ["pid missing", { endpoint: ok.endpoint, secret: SECRET }, "pid"],
  ["pid a throwing getter", throwing("pid"), "pid"],
  ["secret empty", { ...ok, secret: Redacted.make("") }, "secret"],
  ["secret a number", { ...ok, secret: 42 }, "secret"],
  ["secret missing", { endpoint: ok.endpoint, pid: 7 }, "secret"],
  ["secret a throwing getter", throwing("secret"), "secret"],
  ["dialect unknown", { ...ok, dialect: "v2" }, "dialect"],
  ["dialect a number", { ...ok, dialect: 1 }, "dialect"],
  ...badDurations.map(([what, value]): Case => [`timeout ${what}`, { ...ok, timeout: value }, "timeout"]),
  ["readRetry not a Schedule", { ...ok, readRetry: "3 times" }, "readRetry"],
  ["endpoint without port", { ...ok, endpoint: "localhost" }, "endpoint"],
  ["endpoint port 99999", { ...ok, endpoint: "h:99999" }, "endpoint"],
  ["endpoint a throwing getter", throwing("endpoint"), "endpoint"],
  ...badDurations.map((
    [what, value]
  ): Case => [`connectTimeout ${what}`, { ...ok, connectTimeout: value }, "connectTimeout"]),
  ["transport a string", { ...ok, transport: "fast" }, "transport"],
  [
    "transport.keepalive.interval unparseable",
    { ...ok, transport: { keepalive: { interval: "banana" } } },
    "transport.keepalive.interval"
  ],
  [
    "transport.keepalive.interval 0",
    { ...ok, transport: { keepalive: { interval: 0 } } },
    "transport.keepalive.interval"
  ],
  ["transport.questTimeout negative", { ...ok, transport: { questTimeout: -5 } }, "transport.questTimeout"],
  ["transport.maxFrameBytes 0", { ...ok, transport: { maxFrameBytes: 0 } }, "transport.maxFrameBytes"],
  [
    "transport.reconnect.firstDelay NaN",
    { ...ok, transport: { reconnect: { firstDelay: NaN } } },
    "transport.reconnect.firstDelay"
  ],
  [
    "transport.encryption.serverKey RSA",
    { ...ok, transport: { encryption: { serverKey: rsa } } },
    "transport.encryption.serverKey"
  ],
  [
    "transport.encryption.serverKey empty",
    { ...ok, transport: { encryption: { serverKey: "" } } },
    "transport.encryption.serverKey"
  ],
  ["transport.encryption.curve unknown", {
    ...ok,
    transport: { encryption: { serverKey: rsa, curve: "p999" } }
  }, "transport.encryption.curve"],
  [
    "options a Proxy whose traps throw",
    new Proxy({}, {
      get() {
        throw new Error("trap")
      }
    }),
    "pid"
  ]
]

const optionsFailure = (exit: Exit.Exit<unknown, unknown>, name: string): VoiceRoomOptionsError => {
  assert.isTrue(Exit.isFailure(exit), `${name}: expected a failure`)
  const cause = (exit as Exit.Failure<unknown, unknown>).cause
  assert.isFalse(Cause.hasDies(cause), `${name}: died: ${Cause.pretty(cause)}`)
  const error = Cause.findErrorOption(cause)
  assert.isTrue(
    error._tag === "Some" && error.value instanceof VoiceRoomOptionsError,
    `${name}: ${Cause.pretty(cause)}`
  )
  return (error as { value: VoiceRoomOptionsError }).value
}

const withEnv = (env: Record<string, string>) => Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))

describe("VoiceRoomClient options", () => {
  it.effect("every option × every invalid class: the Layer fails with VoiceRoomOptionsError naming it", () =>
    Effect.gen(function*() {
      for (const [name, options, option] of cases) {
        const exit = yield* Effect.exit(
          Effect.scoped(Layer.build(VoiceRoomClient.layer(options as VoiceRoomClientLayerOptions)))
        )
        const e = optionsFailure(exit, name)
        assert.strictEqual(e.option, option, `${name}: ${e.message}`)
        assert.isFalse(e.sent)
        assert.notInclude(e.message, "unit-secret")
      }
    }))

  it.live("a call's bad timeout is a VoiceRoomValidationError, unsent: the handler never runs", () =>
    Effect.gen(function*() {
      let calls = 0
      const server = yield* FpnnServer.make<never>({
        handlers: { getRTCRoomMemberCount: () => Effect.sync(() => ({ count: ++calls })) }
      })
      const client = yield* Layer.build(VoiceRoomClient.layer({ ...ok, endpoint: server.address, dialect: "rtc" }))
        .pipe(
          Effect.map(Context.get(VoiceRoomClient))
        )
      for (const [what, timeout] of badDurations) {
        const e = yield* Effect.flip(client.getVoiceRoomMemberCount(1, { timeout: timeout as never }))
        assert.isTrue(e instanceof VoiceRoomValidationError, `${what}: ${e.message}`)
        assert.isTrue(e instanceof VoiceRoomValidationError && e.parameter === "options.timeout" && !e.sent, what)
      }
      assert.strictEqual(calls, 0)
      assert.deepStrictEqual(yield* client.getVoiceRoomMemberCount(1, { timeout: "Infinity" }), 1)
    }))

  it.live("exotic arguments (Proxies with a lying length or throwing traps) are typed failures, unsent", () =>
    Effect.gen(function*() {
      let calls = 0
      const server = yield* FpnnServer.make<never>({
        handlers: { pullUserIntoVoiceRoom: () => Effect.sync(() => void calls++) }
      })
      const client = yield* Layer.build(VoiceRoomClient.layer({ ...ok, endpoint: server.address })).pipe(
        Effect.map(Context.get(VoiceRoomClient))
      )
      const lying = (length: unknown) =>
        new Proxy([1n], { get: (t, k) => (k === "length" ? length : Reflect.get(t, k)) }) as unknown as Array<bigint>
      const throwing = new Proxy([1n], {
        get() {
          throw new Error("trap")
        }
      }) as unknown as Array<bigint>
      for (
        const [name, effect] of [
          ["length 2^32", client.pullUserIntoVoiceRoom(1n, lying(2 ** 32))],
          ["length 2^40", client.pullUserIntoVoiceRoom(1n, lying(2 ** 40))],
          ["length NaN", client.pullUserIntoVoiceRoom(1n, lying(NaN))],
          ["length -1", client.pullUserIntoVoiceRoom(1n, lying(-1))],
          ["length a string", client.pullUserIntoVoiceRoom(1n, lying("3"))],
          ["a throwing trap", client.pullUserIntoVoiceRoom(1n, throwing)],
          ["invoke with throwing args", client.invoke("pullUserIntoVoiceRoom", throwing)]
        ] as const
      ) {
        const exit = yield* Effect.exit(effect)
        assert.isTrue(Exit.isFailure(exit) && !Cause.hasDies(exit.cause), `${name}: ${String(exit)}`)
        const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
        assert.isTrue(error?._tag === "Some" && error.value instanceof VoiceRoomValidationError, name)
      }
      assert.strictEqual(calls, 0)
    }))

  it.live("layerConfig: RTM_TIMEOUT accepts \"5 seconds\" and milliseconds, rejects 0, -5 and banana naming the variable", () =>
    Effect.gen(function*() {
      const never: Server.QuestHandler = () => Effect.never
      const server = yield* FpnnServer.make<never>({ handlers: { getVoiceRoomMemberCount: never } })
      const env = { RTM_ENDPOINT: server.address, RTM_PID: "7", RTM_SECRET: "s" }
      for (const [text, millis] of [["120", 120], ["150 millis", 150]] as const) {
        const e = yield* VoiceRoomClient.use((c) => Effect.flip(c.getVoiceRoomMemberCount(1))).pipe(
          Effect.provide(VoiceRoomClient.layerConfig().pipe(withEnv({ ...env, RTM_TIMEOUT: text })))
        )
        assert.isTrue(e._tag === "FpnnTimeoutError" && e.timeoutMillis === millis && e.sent, e.message)
      }
      for (
        const [variable, value] of [
          ["RTM_TIMEOUT", "0"],
          ["RTM_TIMEOUT", "-5"],
          ["RTM_TIMEOUT", "banana"],
          ["RTM_ENDPOINT", "localhost"],
          ["RTM_PID", "0"],
          ["RTM_CONNECT_TIMEOUT", "-1 seconds"]
        ] as const
      ) {
        const exit = yield* Effect.exit(
          Effect.scoped(Layer.build(VoiceRoomClient.layerConfig().pipe(withEnv({ ...env, [variable]: value }))))
        )
        assert.strictEqual(optionsFailure(exit, `${variable}=${value}`).option, variable)
      }
    }))

  it.live("layerConfig takes a Config.Wrap: plain values and Configs per field, other variable names", () =>
    Effect.gen(function*() {
      const server = yield* FpnnServer.make<never>({
        handlers: { getVoiceRoomList: () => Effect.succeed({ rids: [5n] }) }
      })
      const layer = VoiceRoomClient.layerConfig({
        endpoint: Config.succeed(server.address),
        pid: Config.Int("MY_PID"),
        secret: Config.Redacted("MY_SECRET"),
        timeout: Config.succeed("2 seconds")
      }).pipe(withEnv({ MY_PID: "7", MY_SECRET: "s" }))
      assert.deepStrictEqual(yield* VoiceRoomClient.use((c) => c.getVoiceRoomList()).pipe(Effect.provide(layer)), [5n])
      const bad = VoiceRoomClient.layerConfig({
        endpoint: Config.succeed(server.address),
        pid: Config.succeed(7),
        secret: Config.succeed(SECRET),
        timeout: Config.succeed(-1)
      })
      assert.strictEqual(
        optionsFailure(yield* Effect.exit(Effect.scoped(Layer.build(bad))), "custom").option,
        "timeout"
      )
    }))
})

describe("errors in Effect 4's shape", () => {
  it.live("catchReason on RtmError NotInRoom and on FpnnConnectionError Refused, at run time", () =>
    Effect.gen(function*() {
      const server = yield* FpnnServer.make<never>({
        handlers: {
          inviteUserIntoVoiceRoom: () => Effect.fail(new FpnnErrorAnswer({ code: 200040, ex: "not in room" }))
        }
      })
      const client = yield* Layer.build(VoiceRoomClient.layer({ ...ok, endpoint: server.address })).pipe(
        Effect.map(Context.get(VoiceRoomClient))
      )
      const handled = yield* client.inviteUserIntoVoiceRoom(1, 2, [3]).pipe(
        Effect.as("invited"),
        Effect.catchReason("RtmError", "NotInRoom", (reason, error) => Effect.succeed(`${reason._tag} ${error.code}`))
      )
      assert.strictEqual(handled, "NotInRoom 200040")
      const refused = yield* Layer.build(VoiceRoomClient.layer({ ...ok, endpoint: "127.0.0.1:1" })).pipe(
        Effect.map(Context.get(VoiceRoomClient)),
        Effect.flatMap((c) => c.getVoiceRoomList()),
        Effect.as("listed"),
        Effect.catchReason(
          "FpnnConnectionError",
          "Refused",
          (_reason, error) => Effect.succeed(`refused, sent ${error.sent}`)
        )
      )
      assert.strictEqual(refused, "refused, sent false")
    }))

  it("catchReason compiles: the handled reason leaves the error channel, the others stay (type level)", () => {
    const program = Effect.fail(RtmError.fromCode(200040)) as Effect.Effect<number, VoiceRoomError>
    const rtm: Effect.Effect<number | string, VoiceRoomError> = program.pipe(
      Effect.catchReason("RtmError", "NotInRoom", (reason) => Effect.succeed(reason._tag))
    )
    const conn: Effect.Effect<number, VoiceRoomError> = program.pipe(
      Effect.catchReason("FpnnConnectionError", "Refused", () => Effect.succeed(0))
    )
    const both = program.pipe(Effect.catchReasons("RtmError", {
      NotInRoom: () => Effect.succeed(1),
      FrequencyLimited: () => Effect.succeed(2)
    }))
    // @ts-expect-error "NotARealReason" is not a reason of RtmError
    // @effect-diagnostics-next-line floatingEffect:off
    program.pipe(Effect.catchReason("RtmError", "NotARealReason", () => Effect.succeed(0)))
    // @ts-expect-error FpnnTimeoutError has no reason to catch
    // @effect-diagnostics-next-line floatingEffect:off
    program.pipe(Effect.catchReason("FpnnTimeoutError", "Refused", () => Effect.succeed(0)))
    assert.isDefined([rtm, conn, both])
  })

  it("RtmError.fromCode derives the reason; sent, isRetryable and the message follow the fields", () => {
    const e = RtmError.fromCode(200010, "slow down", { operation: "getVoiceRoomList", method: "getVoiceRoomList" })
    assert.deepStrictEqual([e.reason._tag, e.code, e.sent, e.isRetryable], ["FrequencyLimited", 200010, true, true])
    assert.strictEqual(
      e.message,
      "getVoiceRoomList (getVoiceRoomList) failed with FrequencyLimited (200010): slow down"
    )
    assert.strictEqual(RtmError.fromCode(123456).reason._tag, "Unknown")
  })

  it("errors serialise with their schema, and exception.type (the error's name) shows tag and reason", () => {
    const e = RtmError.fromCode(200040, "not in room", { operation: "kick", method: "kickoutFromVoiceRoom" })
    const encoded = Schema.encodeUnknownSync(RtmError)(e)
    const decoded = Schema.decodeUnknownSync(RtmError)(JSON.parse(JSON.stringify(encoded)))
    assert.deepStrictEqual([decoded.reason._tag, decoded.code, decoded.ex, decoded.message], [
      "NotInRoom",
      200040,
      "not in room",
      e.message
    ])
    assert.strictEqual(Cause.prettyErrors(Cause.fail(e))[0]!.name, "RtmError.NotInRoom")
  })

  it("the Layers' error channels (type level)", () => {
    const layer: Layer.Layer<VoiceRoomClient, VoiceRoomOptionsError> = VoiceRoomClient.layer(ok)
    // @ts-expect-error bad options fail the layer
    const never: Layer.Layer<VoiceRoomClient> = VoiceRoomClient.layer(ok)
    const fromTransport: Layer.Layer<VoiceRoomClient, VoiceRoomOptionsError, FpnnClient> = VoiceRoomClient
      .layerFromTransport(ok)
    const fromConfig: Layer.Layer<
      VoiceRoomClient,
      Config.ConfigError | VoiceRoomOptionsError | VoiceRoomConfigFileError
    > = VoiceRoomClient.layerConfig()
    // @ts-expect-error an unreadable key file is an error of its own
    // @effect-diagnostics-next-line missingEffectError:off
    const configNoFile: Layer.Layer<VoiceRoomClient, Config.ConfigError | VoiceRoomOptionsError> = VoiceRoomClient
      .layerConfig()
    assert.isDefined([layer, never, fromTransport, fromConfig, configNoFile])
  })
})
