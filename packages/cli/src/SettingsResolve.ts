/**
 * Resolves the settings of a command: a flag when given, else its environment variable.
 * Every problem is collected and reported at once, in one line that names where the value
 * came from (`--pid` or `RTM_PID`). Key files are read through effect's FileSystem and
 * checked here, so that a bad file is a usage error (exit 2), never a failure deep inside
 * the connection. Nothing here ever puts the secret into a message.
 */
import { Encryption, Options } from "@rtm-voice/fpnn-transport"
import { Config, Effect, FileSystem, Option, Redacted, Result } from "effect"
import { type CliUsageError, usageError } from "./Errors.js"
import { type Dialect, DIALECTS, type Settings, type SettingsInput } from "./Settings.js"

/** A value and where it came from: `--pid` or `RTM_PID`. */
export interface Sourced<A> {
  readonly from: string
  readonly value: A
}

/** Collects the problems of one command line; `done` fails with all of them. */
export class Problems {
  private readonly missing: Array<string> = []
  private readonly invalid: Array<string> = []
  private readonly keyFile: Array<string> = []

  need(flag: string, env: string | undefined): void {
    this.missing.push(env === undefined ? `--${flag}` : `--${flag} (or ${env})`)
  }
  bad(message: string): void {
    this.invalid.push(message)
  }
  badKey(message: string): void {
    this.keyFile.push(message)
  }

  /** The usage error for everything collected, if anything was. */
  error(): CliUsageError | undefined {
    const parts = [
      ...(this.missing.length === 0 ? [] : [`missing ${this.missing.join(", ")}`]),
      ...this.invalid,
      ...this.keyFile
    ]
    if (parts.length === 0) return undefined
    const reason = this.invalid.length > 0 ? "InvalidSetting" : this.missing.length > 0 ? "MissingSetting" : "KeyFile"
    return usageError(reason, parts.join("; "))
  }
}

/** The flag's value, else the variable's (an empty variable counts as unset). */
export const stringSetting = (flag: string, value: Option.Option<string>, env: string) =>
  Effect.gen(function*() {
    if (Option.isSome(value)) return { from: `--${flag}`, value: value.value } as Sourced<string>
    const fromEnv = yield* Config.option(Config.String(env)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
    return Option.isSome(fromEnv) && fromEnv.value !== ""
      ? ({ from: env, value: fromEnv.value } as Sourced<string>)
      : undefined
  })

/** The secret from `--secret`, else `RTM_SECRET`; it stays Redacted. */
export const secretSetting = (value: Option.Option<Redacted.Redacted<string>>, problems: Problems) =>
  Effect.gen(function*() {
    if (Option.isSome(value)) return value.value
    const fromEnv = yield* Config.option(Config.Redacted("RTM_SECRET")).pipe(
      Effect.orElseSucceed(() => Option.none<Redacted.Redacted<string>>())
    )
    if (Option.isSome(fromEnv) && Redacted.value(fromEnv.value) !== "") return fromEnv.value
    problems.need("secret", "RTM_SECRET")
    return undefined
  })

/** A positive integer (a project id), from a flag or the environment. */
export const pidSetting = (flag: Option.Option<string>, problems: Problems) =>
  Effect.gen(function*() {
    const s = yield* stringSetting("pid", flag, "RTM_PID")
    if (s === undefined) return (problems.need("pid", "RTM_PID"), undefined)
    const n = /^\s*\d+\s*$/.test(s.value) ? Number(s.value) : NaN
    if (!Number.isSafeInteger(n) || n <= 0) {
      return (problems.bad(`${s.from} must be a positive integer project id, got ${JSON.stringify(s.value)}`),
        undefined)
    }
    return n
  })

/** Reads a key file and checks it with `check`; a problem names the file and its source. */
export const keyFileSetting = (
  path: Sourced<string>,
  what: string,
  check: (bytes: Uint8Array) => unknown,
  problems: Problems
) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const bytes = yield* fs.readFile(path.value).pipe(
      Effect.map((b): Uint8Array | undefined => b),
      Effect.catch((e) =>
        Effect.sync(() => {
          problems.badKey(`cannot read the ${what} file ${path.value} (${path.from}): ${platformMessage(e)}`)
          return undefined
        })
      )
    )
    if (bytes === undefined) return undefined
    try {
      check(bytes)
      return bytes
    } catch (e) {
      problems.badKey(`${path.value} (${path.from}) is not a usable ${what}: ${firstLine(e)}`)
      return undefined
    }
  })

const firstLine = (e: unknown): string =>
  (e instanceof Error || (typeof e === "object" && e !== null && "message" in e)
    ? String((e as { message: unknown }).message)
    : String(e)).split("\n")[0]!

/** A PlatformError's system reason (e.g. `NotFound`) and its description, in one line. */
const platformMessage = (e: unknown): string => {
  const reason = (e as { reason?: { _tag?: unknown; description?: unknown; cause?: unknown } }).reason
  const cause = reason?.cause
  if (cause instanceof Error && cause.message !== "") return firstLine(cause)
  if (typeof reason?.description === "string" && reason.description !== "") return reason.description
  if (typeof reason?._tag === "string") return reason._tag
  return firstLine(e)
}

/** The settings of an operation command, or one usage error naming every problem. */
export const resolveSettings = (input: SettingsInput): Effect.Effect<Settings, CliUsageError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const problems = new Problems()
    const endpointSource = yield* stringSetting("endpoint", input.endpoint, "RTM_ENDPOINT")
    let endpoint: string | undefined
    if (endpointSource === undefined) problems.need("endpoint", "RTM_ENDPOINT")
    else if (Result.isFailure(Options.parseEndpoint(endpointSource.value))) { // the transport's own rule
      problems.bad(`${endpointSource.from} must be host:port, got ${JSON.stringify(endpointSource.value)}`)
    } else endpoint = endpointSource.value
    const pid = yield* pidSetting(input.pid, problems)
    const secret = yield* secretSetting(input.secret, problems)

    let timeout: number | undefined
    const timeoutSource = yield* stringSetting("timeout", input.timeout, "RTM_TIMEOUT")
    if (timeoutSource !== undefined) {
      const n = /^\s*\d+\s*$/.test(timeoutSource.value) ? Number(timeoutSource.value) : NaN
      if (!(n > 0 && n <= Options.MAX_TIMER_MILLIS)) {
        problems.bad(
          `${timeoutSource.from} must be a positive number of ms (at most ${Options.MAX_TIMER_MILLIS}), got ${
            JSON.stringify(timeoutSource.value)
          }`
        )
      } else timeout = n
    }

    let dialect: Dialect = "voice"
    if (Option.isSome(input.dialect)) dialect = input.dialect.value
    else {
      const fromEnv = yield* stringSetting("dialect", Option.none(), "RTM_DIALECT")
      if (fromEnv !== undefined) {
        if ((DIALECTS as ReadonlyArray<string>).includes(fromEnv.value)) dialect = fromEnv.value as Dialect
        else problems.bad(`RTM_DIALECT must be one of ${DIALECTS.join(", ")}, got ${JSON.stringify(fromEnv.value)}`)
      }
    }

    const keySource = yield* stringSetting("server-key", input.serverKey, "RTM_SERVER_KEY")
    const serverKey = keySource === undefined
      ? undefined
      : yield* keyFileSetting(
        keySource,
        "server public key",
        (bytes) => Encryption.parseServerPublicKey(bytes),
        problems
      )

    const error = problems.error()
    if (error !== undefined) return yield* error
    return { endpoint: endpoint!, pid: pid!, secret: secret!, timeout, dialect, serverKey }
  })
