/**
 * Connection settings of the operation commands: from flags, else from the environment
 * (`RTM_ENDPOINT`, `RTM_PID`, `RTM_SECRET`, `RTM_TIMEOUT` in ms, `RTM_DIALECT`,
 * `RTM_SERVER_KEY`). The secret stays `Redacted` from the flag to the signer.
 */
import { parseEndpoint } from "@rtm-voice/fpnn-transport"
import { VoiceRoomClient, VoiceRoomValidationError } from "@rtm-voice/voice-room"
import { Config, Effect, Layer, Option, type Redacted, Result } from "effect"
import { Flag } from "effect/cli"
import { readFileSync } from "node:fs"

export const settingsFlags = {
  endpoint: Flag.String("endpoint").pipe(
    Flag.withFallbackConfig(Config.String("RTM_ENDPOINT")),
    Flag.withDescription("gateway host:port (env RTM_ENDPOINT); start a local one with `rtm-voice emulator`")
  ),
  pid: Flag.Int("pid").pipe(Flag.withFallbackConfig(Config.Int("RTM_PID")), Flag.withDescription("project id (env RTM_PID)")),
  secret: Flag.Redacted("secret").pipe(
    Flag.withFallbackConfig(Config.Redacted("RTM_SECRET")),
    Flag.withDescription("project secret key (env RTM_SECRET, preferred: a flag is visible to other local users)")
  ),
  timeout: Flag.Int("timeout").pipe(
    Flag.withFallbackConfig(Config.Int("RTM_TIMEOUT")),
    Flag.optional,
    Flag.withDescription("call timeout in ms (env RTM_TIMEOUT; default 5000)")
  ),
  dialect: Flag.Literals("dialect", ["voice", "rtc"] as const).pipe(
    Flag.withFallbackConfig(Config.Literals(["voice", "rtc"], "RTM_DIALECT")),
    Flag.withDefault("voice" as const),
    Flag.withDescription("wire method names: voice (VoiceRoom era, default) or rtc (env RTM_DIALECT)")
  ),
  serverKey: Flag.String("server-key").pipe(
    Flag.withFallbackConfig(Config.String("RTM_SERVER_KEY")),
    Flag.optional,
    Flag.withDescription("encrypt the connection with the server public key in this file: PEM, DER or raw (env RTM_SERVER_KEY)")
  ),
  // withOptionalValue: a bare `--json` never consumes the next token. Without it, effect's
  // boolean flag swallows a following boolean literal, so `count --json 1` lost its room id
  // (1/0/on/off/yes/no are all literals). `--json=false` still works.
  json: Flag.Boolean("json").pipe(
    Flag.withOptionalValue("true"),
    Flag.withDefault(false),
    Flag.withDescription("print one JSON object (ids as exact integers)")
  )
}

export interface Settings {
  readonly endpoint: string
  readonly pid: number
  readonly secret: Redacted.Redacted<string>
  readonly timeout: Option.Option<number>
  readonly dialect: "voice" | "rtc"
  readonly serverKey: Option.Option<string>
}

const invalid = (parameter: string, message: string) =>
  new VoiceRoomValidationError({ operation: "rtm-voice", parameter, message })

/** The client layer for these settings; bad settings fail before anything connects. */
export const clientLayer = (settings: Settings) =>
  Layer.unwrap(
    Effect.gen(function*() {
      if (Result.isFailure(parseEndpoint(settings.endpoint))) { // the transport's own rule
        return yield* invalid("endpoint", `--endpoint must be host:port, got ${JSON.stringify(settings.endpoint)}`)
      }
      const timeout = Option.getOrUndefined(settings.timeout)
      if (timeout !== undefined && timeout <= 0) return yield* invalid("timeout", "--timeout must be a positive number of ms")
      let serverKey: Uint8Array | undefined
      if (Option.isSome(settings.serverKey)) {
        const path = settings.serverKey.value
        serverKey = yield* Effect.try({
          try: () => readFileSync(path),
          catch: (e) => invalid("server-key", `cannot read the server key file ${path}: ${(e as Error).message}`)
        })
      }
      return VoiceRoomClient.layer({
        endpoint: settings.endpoint,
        pid: settings.pid,
        secret: settings.secret,
        dialect: settings.dialect,
        ...(timeout === undefined ? {} : { timeout }),
        ...(serverKey === undefined ? {} : { transport: { encryption: { serverKey } } })
      })
    })
  )
