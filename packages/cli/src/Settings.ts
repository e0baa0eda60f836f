/**
 * Connection settings of the operation commands: from flags, else from the environment
 * (`RTM_ENDPOINT`, `RTM_PID`, `RTM_SECRET`, `RTM_TIMEOUT` in ms, `RTM_DIALECT`,
 * `RTM_SERVER_KEY`). The flags are declared here (cheap: `--help` needs them); the
 * resolution, which reads the environment and key files, is in SettingsResolve.ts and is
 * loaded only when a command runs.
 *
 * The environment is read by this CLI rather than by `Flag.withFallbackConfig`, so that a
 * bad value names the variable the user set (`RTM_PID`), not a flag they never typed, and
 * every missing setting is named at once.
 */
import type { Option, Redacted } from "effect"
import { Flag } from "effect/cli"

export const DIALECTS = ["voice", "rtc"] as const
export type Dialect = (typeof DIALECTS)[number]

export const settingsFlags = {
  endpoint: Flag.String("endpoint").pipe(
    Flag.optional,
    Flag.withDescription("gateway host:port (env RTM_ENDPOINT); start a local one with `rtm-voice emulator`")
  ),
  pid: Flag.String("pid").pipe(Flag.withMetavar("integer"), Flag.optional, Flag.withDescription("project id (env RTM_PID)")),
  secret: Flag.Redacted("secret").pipe(
    Flag.optional,
    Flag.withDescription("project secret key (env RTM_SECRET, preferred: a flag is visible to other local users)")
  ),
  timeout: Flag.String("timeout").pipe(
    Flag.withMetavar("ms"),
    Flag.optional,
    Flag.withDescription("call timeout in ms (env RTM_TIMEOUT; default 5000)")
  ),
  dialect: Flag.Literals("dialect", DIALECTS).pipe(
    Flag.optional,
    Flag.withDescription("wire method names: voice (VoiceRoom era, default) or rtc (env RTM_DIALECT)")
  ),
  serverKey: Flag.String("server-key").pipe(
    Flag.withMetavar("file"),
    Flag.optional,
    Flag.withDescription("encrypt the connection with the server public key in this file: PEM, DER or raw (env RTM_SERVER_KEY)")
  ),
  // withOptionalValue: a bare `--json` never consumes the next token. Without it, effect's
  // boolean flag swallows a following boolean literal, so `count --json 1` lost its room id
  // (1/0/on/off/yes/no are all literals). `--json=false` still works.
  json: Flag.Boolean("json").pipe(
    Flag.withOptionalValue("true"),
    Flag.withDefault(false),
    Flag.withDescription("print one JSON object (ids as exact integers); errors too, on stderr")
  )
}

/** What the flags parse to; absent flags fall back to the environment. */
export interface SettingsInput {
  readonly endpoint: Option.Option<string>
  readonly pid: Option.Option<string>
  readonly secret: Option.Option<Redacted.Redacted<string>>
  readonly timeout: Option.Option<string>
  readonly dialect: Option.Option<Dialect>
  readonly serverKey: Option.Option<string>
  readonly json: boolean
}

/** The resolved, checked settings. */
export interface Settings {
  readonly endpoint: string
  readonly pid: number
  readonly secret: Redacted.Redacted<string>
  readonly timeout: number | undefined
  readonly dialect: Dialect
  /** The server public key's bytes (the file is read and checked while resolving). */
  readonly serverKey: Uint8Array | undefined
}
