/** `VoiceRoomClient.layer` and `layerConfig`: a client with its own transport, from options or configuration. */
import { Client, type Encryption, FpnnClient } from "@rtm-voice/fpnn-transport"
import { Config, Duration, Effect, FileSystem, Option, Redacted, Result } from "effect"
import { VoiceRoomConfigFileError } from "../Errors.js"
import { type Dialect } from "../Operations.js"
import type { VoiceRoomClientLayerOptions } from "../VoiceRoomClient.js"

import { makeVoiceRoomClient } from "./client.js"
import { renameOption, resolveOptions, transportOption, transportOptionsOf } from "./options.js"

/**
 * What `VoiceRoomClient.layerConfig` reads: the layer's options that configuration can
 * express, and the path of the server's public key (read through effect's FileSystem).
 */
export interface VoiceRoomClientConfigOptions {
  readonly endpoint: string
  readonly pid: number
  readonly secret: Redacted.Redacted<string>
  readonly timeout?: Duration.Input | undefined
  readonly dialect?: Dialect | undefined
  readonly connectTimeout?: Duration.Input | undefined
  /** Path of the server's public key (PEM, DER or a raw point); absent = a plain connection. */
  readonly serverKeyFile?: string | undefined
  readonly encryptionMode?: Encryption.Mode | undefined
  readonly encryptionStrength?: Encryption.Strength | undefined
}

/**
 * The environment `VoiceRoomClient.layerConfig()` reads by default: `RTM_ENDPOINT`,
 * `RTM_PID`, `RTM_SECRET` (redacted), optional `RTM_TIMEOUT` and `RTM_CONNECT_TIMEOUT`
 * (a Duration string such as "5 seconds", or milliseconds), `RTM_DIALECT` (`voice` |
 * `rtc`), and for an encrypted connection `RTM_SERVER_KEY` (a path),
 * `RTM_ENCRYPTION_MODE` (`package` | `stream`), `RTM_ENCRYPTION_STRENGTH` (`128` | `256`).
 */
export const VoiceRoomClientConfig: Config.Wrap<VoiceRoomClientConfigOptions> = {
  endpoint: Config.String("RTM_ENDPOINT"),
  pid: Config.Int("RTM_PID"),
  secret: Config.Redacted("RTM_SECRET"),
  timeout: Client.DurationConfig("RTM_TIMEOUT").pipe(Config.option, Config.map(Option.getOrUndefined)),
  dialect: Config.Literals(["voice", "rtc"], "RTM_DIALECT").pipe(Config.withDefault("voice" as const)),
  connectTimeout: Client.DurationConfig("RTM_CONNECT_TIMEOUT").pipe(Config.option, Config.map(Option.getOrUndefined)),
  serverKeyFile: Config.String("RTM_SERVER_KEY").pipe(Config.option, Config.map(Option.getOrUndefined)),
  encryptionMode: Config.Literals(["package", "stream"], "RTM_ENCRYPTION_MODE").pipe(
    Config.withDefault("package" as const)
  ),
  encryptionStrength: Config.Literals(["128", "256"], "RTM_ENCRYPTION_STRENGTH").pipe(
    Config.withDefault("128" as const),
    Config.map((s): Encryption.Strength => (s === "256" ? 256 : 128))
  )
}

/** The variable behind each option of the default configuration: errors name what the user set. */
const envNames: Readonly<Record<string, string>> = {
  endpoint: "RTM_ENDPOINT",
  pid: "RTM_PID",
  secret: "RTM_SECRET",
  timeout: "RTM_TIMEOUT",
  dialect: "RTM_DIALECT",
  connectTimeout: "RTM_CONNECT_TIMEOUT",
  "transport.encryption.serverKey": "RTM_SERVER_KEY",
  "transport.encryption.mode": "RTM_ENCRYPTION_MODE",
  "transport.encryption.strength": "RTM_ENCRYPTION_STRENGTH"
}

/**
 * The FileSystem in context, else Node's. Loaded on demand: only a configuration that names
 * a key file needs it, and a CLI start should not pay for the module.
 */
const fileSystem: Effect.Effect<FileSystem.FileSystem> = Effect.flatMap(
  Effect.serviceOption(FileSystem.FileSystem),
  (fs) =>
    Option.isSome(fs)
      ? Effect.succeed(fs.value)
      : Effect.promise(() => import("@effect/platform-node/NodeFileSystem")).pipe(
        Effect.flatMap((node) => Effect.provide(Effect.service(FileSystem.FileSystem), node.layer))
      )
)

export const makeLayerClient = (options: VoiceRoomClientLayerOptions) =>
  Effect.gen(function*() {
    // The client's own options first: a bad pid fails before the transport is built.
    const own = resolveOptions(options)
    if (Result.isFailure(own)) return yield* Effect.fail(own.failure)
    const transportOptions = yield* Effect.fromResult(transportOptionsOf(options))
    // The transport's logs name the project too (never the secret).
    const transport = yield* FpnnClient.make({
      ...transportOptions,
      logAnnotations: { pid: own.success.pid, ...transportOptions.logAnnotations }
    }).pipe(Effect.mapError(transportOption))
    return yield* makeVoiceRoomClient(transport, options)
  })

/** The client `VoiceRoomClient.layerConfig` builds: configuration read, key file loaded, options renamed. */
export const makeConfigClient = (
  config: Config.Wrap<VoiceRoomClientConfigOptions>,
  extra: Pick<VoiceRoomClientLayerOptions, "readRetry" | "transport" | "connect"> | undefined
) => {
  const rename = config === VoiceRoomClientConfig ? renameOption(envNames) : renameOption({
    "transport.encryption.serverKey": "serverKeyFile",
    "transport.encryption.mode": "encryptionMode",
    "transport.encryption.strength": "encryptionStrength"
  })
  return Effect.gen(function*() {
    const c = yield* Config.unwrap(config)
    const keyOption = config === VoiceRoomClientConfig ? "RTM_SERVER_KEY" : "serverKeyFile"
    let encryption: Client.EncryptionOptions | undefined
    if (c.serverKeyFile !== undefined) {
      const path = c.serverKeyFile
      const fs = yield* fileSystem
      const serverKey = yield* fs.readFile(path).pipe(
        Effect.mapError((e) => new VoiceRoomConfigFileError({ option: keyOption, path, detail: e.message, cause: e }))
      )
      encryption = {
        serverKey,
        ...(c.encryptionMode === undefined ? {} : { mode: c.encryptionMode }),
        ...(c.encryptionStrength === undefined ? {} : { strength: c.encryptionStrength })
      }
    }
    const transport = encryption === undefined ? extra?.transport : { ...extra?.transport, encryption }
    const options: VoiceRoomClientLayerOptions = {
      endpoint: c.endpoint,
      pid: c.pid,
      secret: c.secret,
      timeout: c.timeout,
      dialect: c.dialect,
      connectTimeout: c.connectTimeout,
      readRetry: extra?.readRetry,
      connect: extra?.connect,
      transport
    }
    return yield* makeLayerClient(options).pipe(Effect.mapError(rename))
  })
}
