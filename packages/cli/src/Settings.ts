/**
 * Connection settings of the operation commands: from flags, else from the environment
 * (`RTM_ENDPOINT`, `RTM_PID`, `RTM_SECRET`, `RTM_TIMEOUT` in ms, `RTM_DIALECT`,
 * `RTM_SERVER_KEY`). The flags are declared with effect's CLI in SettingsFlags.ts (cheap:
 * `--help` needs them); the one-shot call (OneShot.ts) reads the same flags by the names
 * below; the resolution, which reads the environment and key files, is in
 * SettingsResolve.ts and is loaded only when a command runs.
 *
 * The environment is read by this CLI rather than by `Flag.withFallbackConfig`, so that a
 * bad value names the variable the user set (`RTM_PID`), not a flag they never typed, and
 * every missing setting is named at once.
 */
import type { Option, Redacted } from "effect"

export const DIALECTS = ["voice", "rtc"] as const
export type Dialect = (typeof DIALECTS)[number]

/** The command-line flag of each setting. */
export const SETTING_FLAGS = {
  endpoint: "endpoint",
  pid: "pid",
  secret: "secret",
  timeout: "timeout",
  dialect: "dialect",
  serverKey: "server-key",
  json: "json"
} as const satisfies Record<keyof SettingsInput, string>

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
