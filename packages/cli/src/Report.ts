/**
 * How the executable ends: every failure printed as one line on stderr (one JSON object
 * under `--json`), the exit code derived from it, and the process run on Node's runtime.
 * Shared by the full CLI (Bin.ts, effect's CLI parser) and the one-shot operation call
 * (Call.ts); free of effect's CLI module, so that the one-shot call never evaluates it.
 *
 * Exit codes: 0 success; 1 the service or the connection failed; 2 bad usage or invalid
 * input (found before connecting); SIGINT/SIGTERM stop a running command cleanly with 0.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit } from "effect"
import { commandNames } from "./Commands.js"
import { describeError, errorJson } from "./ErrorOutput.js"

const USAGE_TAGS: ReadonlySet<string> = new Set([
  "CliUsageError",
  "VoiceRoomValidationError",
  "VoiceRoomOptionsError",
  "FpnnOptionsError"
])

/** The exit code of a failure that is not a parse error of effect's CLI. */
export const usageExitCode = (error: unknown): 1 | 2 => {
  const tag = typeof error === "object" && error !== null ? (error as { _tag?: unknown })._tag : undefined
  return typeof tag === "string" && USAGE_TAGS.has(tag) ? 2 : 1
}

/** Every command name, in the order `--help` lists them. */
export const COMMANDS: ReadonlyArray<string> = [...commandNames.map(([name]) => name), "emulator", "demo", "keygen"]
export const subcommandNames: ReadonlySet<string> = new Set(COMMANDS)

/** Whether `--json` is on (usage errors happen before the command's flags are parsed). */
export const jsonRequested = (argv: ReadonlyArray<string>): boolean => {
  const end = argv.indexOf("--")
  for (const a of end === -1 ? argv : argv.slice(0, end)) {
    if (a === "--json") return true
    const m = /^--json=(.*)$/.exec(a)
    if (m !== null) return /^(true|1|yes|y|on)$/i.test(m[1]!)
  }
  return false
}

/** Secret values on this command line, to be masked in anything printed (a last line of defence). */
const secretsIn = (argv: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  argv.forEach((a, i) => {
    if (a === "--secret" && argv[i + 1] !== undefined) out.push(argv[i + 1]!)
    else if (a.startsWith("--secret=")) out.push(a.slice("--secret=".length))
  })
  const env = globalThis.process?.env?.RTM_SECRET
  if (env !== undefined) out.push(env)
  return out.filter((s) => s.length >= 4)
}

/** The command named on the command line, for the hint. */
export const commandOf = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const name = argv.find((a) => subcommandNames.has(a))
  return name === undefined ? [] : [name]
}

/**
 * Prints a failure (with a hint naming the command's help for a usage error) and answers
 * the exit code; `code` is the exit code of `error`, `path` the command it is about.
 */
export const printFailure = (error: unknown, code: 1 | 2, path: ReadonlyArray<string>, argv: ReadonlyArray<string>) =>
  Effect.suspend(() => {
    const hint = code === 2 ? `rtm-voice ${[...path, "--help"].join(" ")}` : undefined
    const mask = (text: string) => secretsIn(argv).reduce((t, secret) => t.replaceAll(secret, "<redacted>"), text)
    if (!jsonRequested(argv)) {
      return Console.error(mask(`${describeError(error)}${hint === undefined ? "" : `\nhint: see \`${hint}\``}`)).pipe(
        Effect.as(code)
      )
    }
    const object = errorJson(error)
    const json = hint === undefined ? object : { error: { ...(object.error as object), hint } }
    return Effect.promise(() => import("./Output.js")).pipe(
      Effect.flatMap(({ exactJson }) => Console.error(mask(exactJson(json)))),
      Effect.as(code)
    )
  })

/**
 * A command as an exit code: 0 when it succeeds, else what `report` prints and answers.
 * Never fails; only an interruption (SIGINT/SIGTERM) propagates.
 */
export const toExitCode = <R>(
  program: Effect.Effect<unknown, unknown, R>,
  report: (failure: unknown) => Effect.Effect<number>
): Effect.Effect<number, never, R> =>
  program.pipe(
    Effect.as(0),
    Effect.catchCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause) as Effect.Effect<never>
      const failure = Cause.findErrorOption(cause)
      if (failure._tag === "Some") return report(failure.value)
      return report(Cause.squash(cause)).pipe(Effect.as(1))
    })
  )

/** Runs the executable's program on Node's runtime; its exit code is the process's. */
export const runExitCode = (program: Effect.Effect<number>): void =>
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      if (Exit.isSuccess(exit)) return onExit(exit.value as number)
      // Interrupted by SIGINT/SIGTERM (a running emulator): a clean stop.
      if (Cause.hasInterruptsOnly(exit.cause)) return onExit(0)
      process.stderr.write(`error: ${String(Cause.squash(exit.cause)).split("\n")[0]}\n`)
      onExit(1)
    }
  })
