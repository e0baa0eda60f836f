// Every option of the client and the server × every class of invalid value: a typed
// FpnnOptionsError naming the option (an Exit that fails, never one that dies, never a
// hang), before any socket exists; plus per-call timeouts, Options.parseEndpoint and the Layers'
// error channels at the type level.
import { assert, describe, it } from "@effect/vitest"
import { rawPeer } from "@rtm-voice/test-support"
import { Cause, Config, ConfigProvider, Effect, Exit, Layer } from "effect"
import type { SocketServer } from "effect/socket"
import { generateKeyPairSync } from "node:crypto"
import {
  type Client,
  Encryption,
  FpnnClient,
  FpnnOptionsError,
  FpnnServer,
  Options,
  type Server
} from "../src/index.js"

const throwingGetter = (key: string, base: Record<string, unknown> = {}) =>
  Object.defineProperty({ ...base }, key, {
    enumerable: true,
    get() {
      throw new Error("getter says no")
    }
  })
const throwingProxy = new Proxy({}, {
  get() {
    throw new Error("trap says no")
  },
  has() {
    throw new Error("trap says no")
  }
})

/** The invalid classes of a duration (a timeout: 0 is invalid too). */
const badDurations = (zeroIsBad: boolean): ReadonlyArray<readonly [string, unknown]> => [
  ["negative", -1],
  ["NaN", NaN],
  ["unparseable", "banana"],
  ["negative string", "-5 seconds"],
  ["Symbol", Symbol("t")],
  ["boolean", true],
  ["object", { banana: 1 }],
  ...(zeroIsBad ? [["zero", 0] as const] : [])
]
const badCounts: ReadonlyArray<readonly [string, unknown]> = [
  ["negative", -1],
  ["NaN", NaN],
  ["fraction", 1.5],
  ["string", "10"],
  ["Symbol", Symbol("n")]
]

const ec = (namedCurve: string) =>
  generateKeyPairSync("ec", { namedCurve }).publicKey.export({ type: "spki", format: "pem" }) as string
const secp256k1 = Encryption.generateKeyPair("secp256k1")
const pem = secp256k1.publicKeyPem
const badKeys: ReadonlyArray<readonly [string, unknown, string?]> = [
  ["RSA", generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "pem" })],
  ["Ed25519", generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" })],
  ["P-384", ec("secp384r1")],
  ["truncated PEM", pem.slice(0, pem.length - 40)],
  ["a private key", secp256k1.privateKeyPem],
  ["empty string", ""],
  ["empty bytes", new Uint8Array(0)],
  ["a number", 42],
  [
    "a Proxy with a lying length",
    new Proxy(new Uint8Array(65), { get: (t, k) => (k === "length" ? 1e9 : Reflect.get(t, k)) })
  ]
]

type Case = readonly [name: string, options: unknown, option: string]

const clientCases: ReadonlyArray<Case> = [
  ["endpoint without port", { endpoint: "localhost" }, "endpoint"],
  ["endpoint empty", { endpoint: "" }, "endpoint"],
  ["endpoint port 99999", { endpoint: "127.0.0.1:99999" }, "endpoint"],
  ["endpoint a number", { endpoint: 42 }, "endpoint"],
  ["endpoint a Symbol", { endpoint: Symbol("e") }, "endpoint"],
  ["endpoint missing", {}, "endpoint"],
  ["endpoint a throwing getter", throwingGetter("endpoint"), "endpoint"],
  ["options a Proxy whose traps throw", throwingProxy, "endpoint"],
  ["options null", null, "options"],
  ...(["connectTimeout", "questTimeout"] as const).flatMap((key) =>
    badDurations(true).map(([what, value]): Case => [`${key} ${what}`, { endpoint: "h:1", [key]: value }, key])
  ),
  ...(["interval", "deadAfter"] as const).flatMap((key) =>
    badDurations(true).map((
      [what, value]
    ): Case => [`keepalive.${key} ${what}`, { endpoint: "h:1", keepalive: { [key]: value } }, `keepalive.${key}`])
  ),
  [
    "keepalive.deadAfter not after interval",
    { endpoint: "h:1", keepalive: { interval: 1000, deadAfter: 500 } },
    "keepalive.deadAfter"
  ],
  ["keepalive a string", { endpoint: "h:1", keepalive: "yes" }, "keepalive"],
  [
    "keepalive.interval a throwing getter",
    { endpoint: "h:1", keepalive: throwingGetter("interval") },
    "keepalive.interval"
  ],
  ...(["failureWindow", "firstDelay", "maxDelay"] as const).flatMap((key) =>
    badDurations(false).map((
      [what, value]
    ): Case => [`reconnect.${key} ${what}`, { endpoint: "h:1", reconnect: { [key]: value } }, `reconnect.${key}`])
  ),
  ...(["immediateRetries", "linearSteps"] as const).flatMap((key) =>
    badCounts.map((
      [what, value]
    ): Case => [`reconnect.${key} ${what}`, { endpoint: "h:1", reconnect: { [key]: value } }, `reconnect.${key}`])
  ),
  ["reconnect.linearSteps 0", { endpoint: "h:1", reconnect: { linearSteps: 0 } }, "reconnect.linearSteps"],
  [
    "reconnect.maxDelay below firstDelay",
    { endpoint: "h:1", reconnect: { firstDelay: 5000, maxDelay: 10 } },
    "reconnect.maxDelay"
  ],
  ...(["maxFrameBytes", "maxQueuedBytes"] as const).flatMap((key) =>
    [...badCounts, ["zero", 0] as const].map((
      [what, value]
    ): Case => [`${key} ${what}`, { endpoint: "h:1", [key]: value }, key])
  ),
  ...badKeys.map(([what, key]): Case => [
    `encryption.serverKey ${what}`,
    { endpoint: "h:1", encryption: { serverKey: key } },
    "encryption.serverKey"
  ]),
  ["encryption.serverKey missing", { endpoint: "h:1", encryption: {} }, "encryption.serverKey"],
  ["encryption.curve unknown", { endpoint: "h:1", encryption: { serverKey: pem, curve: "p999" } }, "encryption.curve"],
  [
    "encryption.curve not the key's",
    { endpoint: "h:1", encryption: { serverKey: pem, curve: "secp256r1" } },
    "encryption.serverKey"
  ],
  ["encryption.mode unknown", { endpoint: "h:1", encryption: { serverKey: pem, mode: "banana" } }, "encryption.mode"],
  [
    "encryption.strength 512",
    { endpoint: "h:1", encryption: { serverKey: pem, strength: 512 } },
    "encryption.strength"
  ],
  [
    "encryption.strength a string",
    { endpoint: "h:1", encryption: { serverKey: pem, strength: "128" } },
    "encryption.strength"
  ]
]

const serverCases: ReadonlyArray<Case> = [
  ["port 99999", { handlers: {}, port: 99999 }, "port"],
  ["port -1", { handlers: {}, port: -1 }, "port"],
  ["port 1.5", { handlers: {}, port: 1.5 }, "port"],
  ["port a string", { handlers: {}, port: "80" }, "port"],
  ["host empty", { handlers: {}, host: "" }, "host"],
  ["host a number", { handlers: {}, host: 42 }, "host"],
  ["handlers missing", {}, "handlers"],
  ["handlers a throwing getter", throwingGetter("handlers"), "handlers"],
  ["maxFrameBytes 0", { handlers: {}, maxFrameBytes: 0 }, "maxFrameBytes"],
  ["maxQueuedBytes NaN", { handlers: {}, maxQueuedBytes: NaN }, "maxQueuedBytes"],
  ...badDurations(false).map((
    [what, value]
  ): Case => [`shutdownGrace ${what}`, { handlers: {}, shutdownGrace: value }, "shutdownGrace"]),
  ["encryption.privateKey a public key", { handlers: {}, encryption: { privateKey: pem } }, "encryption.privateKey"],
  ["encryption.privateKey empty", { handlers: {}, encryption: { privateKey: "" } }, "encryption.privateKey"],
  ["encryption.privateKey RSA", {
    handlers: {},
    encryption: {
      privateKey: generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({
        type: "pkcs8",
        format: "pem"
      })
    }
  }, "encryption.privateKey"],
  [
    "encryption.curve unknown",
    { handlers: {}, encryption: { privateKey: secp256k1.privateKeyPem, curve: "x" } },
    "encryption.curve"
  ]
]

/** Fails, with one typed FpnnOptionsError naming `option`, and no defect. */
const assertOptionsFailure = <A>(exit: Exit.Exit<A, unknown>, option: string, name: string) => {
  assert.isTrue(Exit.isFailure(exit), `${name}: expected a failure`)
  if (!Exit.isFailure(exit)) return
  assert.isFalse(Cause.hasDies(exit.cause), `${name}: died: ${Cause.pretty(exit.cause)}`)
  const error = Cause.findErrorOption(exit.cause)
  assert.isTrue(
    error._tag === "Some" && error.value instanceof FpnnOptionsError,
    `${name}: ${Cause.pretty(exit.cause)}`
  )
  const e = (error as { value: FpnnOptionsError }).value
  assert.strictEqual(e.option, option, `${name}: ${e.message}`)
  assert.isFalse(e.sent)
  assert.include(e.message, option)
}

describe("options are checked at build", () => {
  it.effect("every client option × every invalid class: FpnnOptionsError naming the option, from makeClient and the Layer", () =>
    Effect.gen(function*() {
      for (const [name, options, option] of clientCases) {
        assertOptionsFailure(
          yield* Effect.exit(Effect.scoped(FpnnClient.make(options as Client.FpnnClientOptions))),
          option,
          name
        )
        assertOptionsFailure(
          yield* Effect.exit(Effect.scoped(Layer.build(FpnnClient.layer(options as Client.FpnnClientOptions)))),
          option,
          name
        )
      }
    }))

  it.effect("every server option × every invalid class: FpnnOptionsError naming the option, before listening", () =>
    Effect.gen(function*() {
      for (const [name, options, option] of serverCases) {
        assertOptionsFailure(
          yield* Effect.exit(Effect.scoped(FpnnServer.make(options as Server.FpnnServerOptions))),
          option,
          name
        )
      }
    }))

  it.effect("valid options still build: durations as ms, strings, Infinity; keys as PEM", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(FpnnClient.make({
        endpoint: "[::1]:1",
        connectTimeout: Infinity,
        questTimeout: "Infinity",
        keepalive: { interval: "1 second", deadAfter: 5000 },
        reconnect: { firstDelay: 0, maxDelay: "1 minute", immediateRetries: 0, linearSteps: 1 },
        maxFrameBytes: 1024,
        encryption: { serverKey: pem, curve: "secp256k1", mode: "stream", strength: 256 }
      })))
      assert.isTrue(Exit.isSuccess(exit))
    }))

  it("parseEndpoint never throws", () => {
    for (const bad of ["localhost", "", ":80", "h:65536", "h:-1", 42, Symbol("x"), null, throwingProxy]) {
      const result = Options.parseEndpoint(bad)
      assert.isTrue(result._tag === "Failure" && result.failure instanceof FpnnOptionsError)
    }
    const ok = Options.parseEndpoint("[::1]:13315")
    assert.deepStrictEqual(ok._tag === "Success" ? ok.success : undefined, { host: "::1", port: 13315 })
  })

  it.live("a call's bad timeout fails typed, unsent: nothing reaches the peer, no connection is made", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      const client = yield* FpnnClient.make({ endpoint: peer.endpoint })
      for (const timeout of [0, -1, NaN, "banana", "-5 seconds", Symbol("t"), { seconds: -1 }]) {
        const exit = yield* Effect.exit(client.call("echo", {}, { timeout: timeout as never }))
        assertOptionsFailure(exit, "timeout", String(typeof timeout === "symbol" ? "Symbol" : timeout))
      }
      const proxy = yield* Effect.exit(client.call("echo", {}, throwingProxy as never))
      assertOptionsFailure(proxy, "timeout", "Proxy options")
      assert.strictEqual(peer.connections(), 0)
      assert.strictEqual(peer.received().length, 0)
    }))
})

describe("FpnnClient.layerConfig", () => {
  const withEnv = (env: Record<string, string>) => Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))
  const timeoutOf = (layer: Layer.Layer<FpnnClient, unknown>) =>
    Effect.gen(function*() {
      const c = yield* FpnnClient
      return yield* Effect.flip(c.call("x", {}))
    }).pipe(Effect.provide(layer))

  it.live("FPNN_TIMEOUT accepts a Duration string or milliseconds; 0 and negative values fail naming the option", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      for (const [text, millis] of [["150", 150], ["0.2 seconds", 200]] as const) {
        const e = yield* timeoutOf(
          FpnnClient.layerConfig().pipe(withEnv({ FPNN_ENDPOINT: peer.endpoint, FPNN_TIMEOUT: text }))
        )
        assert.isTrue(e._tag === "FpnnTimeoutError" && e.timeoutMillis === millis, e.message)
      }
      for (const text of ["0", "-5", "banana"]) {
        const exit = yield* Effect.exit(Effect.scoped(Layer.build(
          FpnnClient.layerConfig().pipe(withEnv({ FPNN_ENDPOINT: peer.endpoint, FPNN_TIMEOUT: text }))
        )))
        assertOptionsFailure(exit, "questTimeout", `FPNN_TIMEOUT=${text}`)
      }
      const noPort = yield* Effect.exit(
        Effect.scoped(Layer.build(FpnnClient.layerConfig().pipe(withEnv({ FPNN_ENDPOINT: "localhost" }))))
      )
      assertOptionsFailure(noPort, "endpoint", "FPNN_ENDPOINT=localhost")
    }))

  it.live("takes a Config.Wrap: a Config per field", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      const e = yield* timeoutOf(FpnnClient.layerConfig({
        endpoint: Config.succeed(peer.endpoint),
        questTimeout: Config.succeed("120 millis")
      }))
      assert.isTrue(e._tag === "FpnnTimeoutError" && e.timeoutMillis === 120 && e.sent, e.message)
    }))
})

describe("the Layers' error channels (type level)", () => {
  it("FpnnClient.layer fails with FpnnOptionsError; FpnnServer.layer also with SocketServerError", () => {
    const client: Layer.Layer<FpnnClient, FpnnOptionsError> = FpnnClient.layer({ endpoint: "h:1" })
    // @ts-expect-error the error channel is not never: bad options fail the Layer
    const clientNever: Layer.Layer<FpnnClient, never> = FpnnClient.layer({ endpoint: "h:1" })
    const server: Layer.Layer<FpnnServer, FpnnOptionsError | SocketServer.SocketServerError> = FpnnServer.layer({
      handlers: {}
    })
    // @ts-expect-error the server's layer names FpnnOptionsError too
    // @effect-diagnostics-next-line missingEffectError:off
    const serverSocketOnly: Layer.Layer<FpnnServer, SocketServer.SocketServerError> = FpnnServer.layer({ handlers: {} })
    const config: Layer.Layer<FpnnClient, Config.ConfigError | FpnnOptionsError> = FpnnClient.layerConfig()
    assert.isDefined([client, clientNever, server, serverSocketOnly, config])
  })
})
