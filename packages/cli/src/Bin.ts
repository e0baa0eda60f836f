/**
 * The `rtm-voice` command runner: parses argv, runs the command, prints every failure as
 * one line on stderr (one JSON object under `--json`) and maps outcomes to exit codes:
 * 0 success; 1 the service or the connection failed; 2 bad usage or invalid input (found
 * before connecting); SIGINT/SIGTERM stop a running emulator cleanly with 0.
 *
 * `run` is the whole CLI as an Effect (argv in, exit code out), so tests run it in process
 * with a captured console and a given environment; `runMain` is what the executable runs.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit } from "effect"
import { CliError, CliOutput, Command } from "effect/cli"
import { rtmVoiceFor } from "./CliTree.js"
import { commandNames } from "./Commands.js"
import { CliUsageError, type CliUsageReasonTag, usageError } from "./Errors.js"
import { describeError, errorJson } from "./ErrorOutput.js"
import { cliServices } from "./Services.js"
import { VERSION } from "./version.js"

const USAGE_TAGS: ReadonlySet<string> = new Set([
  "CliUsageError",
  "VoiceRoomValidationError",
  "VoiceRoomOptionsError",
  "FpnnOptionsError"
])

/** The exit code for a failure of a command. */
export const exitCodeOf = (error: unknown): 1 | 2 => {
  if (CliError.isCliError(error)) return 2
  const tag = typeof error === "object" && error !== null ? (error as { _tag?: unknown })._tag : undefined
  return typeof tag === "string" && USAGE_TAGS.has(tag) ? 2 : 1
}

const COMMANDS = [...commandNames.map(([name]) => name), "emulator", "demo", "keygen"]
const subcommandNames = new Set(COMMANDS)

/**
 * A connection flag before the command name (`rtm-voice --secret S count 1`) is a usage
 * error; effect's CLI would report the flag's value as an unknown subcommand, printing
 * the secret. Caught here, before the CLI parses anything.
 */
const flagBeforeCommand = (argv: ReadonlyArray<string>): string | undefined => {
  const first = argv.findIndex((a) => subcommandNames.has(a))
  const head = first === -1 ? argv : argv.slice(0, first)
  return head.find((a) => a === "--secret" || a.startsWith("--secret="))
}

/** Whether `--json` is on (usage errors happen before the command's flags are parsed). */
const jsonRequested = (argv: ReadonlyArray<string>): boolean => {
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

const reasonOfCliError = (error: CliError.CliError): CliUsageReasonTag => {
  switch (error._tag) {
    case "MissingOption":
      return "MissingSetting"
    case "MissingArgument":
      return "MissingArgument"
    case "UnknownSubcommand":
      return "UnknownCommand"
    case "UnrecognizedOption":
      return "UnknownFlag"
    case "UnexpectedArgument":
      return "UnexpectedArgument"
    default:
      return "InvalidArgument"
  }
}

/** effect's multi-line parse messages ("Did you mean this?") as one line. */
const oneLine = (message: string): string => {
  const [head, ...rest] = message.split(/\n\s*\n\s*Did you mean this\?\s*\n/)
  const suggestions = rest.join("\n").split("\n").map((s) => s.trim()).filter((s) => s !== "")
  const first = head!.replace(/\s*\n\s*/g, " ").trim()
  return suggestions.length === 0 ? first : `${first}; did you mean ${suggestions.join(" or ")}?`
}

/** A parse failure of effect's CLI as the CLI's own usage error, with the command it is about. */
const fromShowHelp = (error: CliError.ShowHelp): { readonly error: CliUsageError; readonly path: ReadonlyArray<string> } => {
  const path = error.commandPath.slice(1)
  if (error.errors.length === 0) {
    return { error: usageError("MissingArgument", `no command given; one of: ${COMMANDS.join(", ")}`), path }
  }
  const messages = error.errors.map((e) => oneLine(e.message))
  return { error: usageError(reasonOfCliError(error.errors[0]!), messages.join("; ")), path }
}

/** The command named on the command line, for the hint. */
const commandOf = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const name = argv.find((a) => subcommandNames.has(a))
  return name === undefined ? [] : [name]
}

const report = (failure: unknown, argv: ReadonlyArray<string>) =>
  Effect.suspend(() => {
    let error = failure
    let path = commandOf(argv)
    if (CliError.isCliError(failure) && failure._tag === "ShowHelp") {
      const converted = fromShowHelp(failure)
      error = converted.error
      if (converted.path.length > 0) path = converted.path
    } else if (CliError.isCliError(failure)) {
      error = usageError(reasonOfCliError(failure), oneLine(failure.message))
    }
    const code = exitCodeOf(error)
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

/** Help and version as effect's CLI prints them; its error report is replaced by `report`. */
const presenter = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation" || (event._tag === "Help" && event.reason === "Implicit")
      ? Effect.void
      : CliOutput.defaultPresenter.present(event)
})

/**
 * The whole CLI: argv in, exit code out. Never fails: every failure is printed by
 * `report`; only an interruption (SIGINT/SIGTERM) propagates.
 */
export const run = (argv: ReadonlyArray<string>, options: { readonly version?: string } = {}) => {
  const misplaced = flagBeforeCommand(argv)
  const program = misplaced !== undefined
    ? Effect.fail(
      usageError("MisplacedFlag", "--secret goes after the command name: rtm-voice <command> --secret … [arguments] (or set RTM_SECRET)")
    )
    : Command.runWith(rtmVoiceFor(argv), { version: options.version ?? VERSION })(argv).pipe(Effect.provide(presenter))
  return (program as Effect.Effect<void, unknown, Command.Environment>).pipe(
    Effect.as(0),
    Effect.catchCause((cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
      const failure = Cause.findErrorOption(cause)
      if (failure._tag === "Some") return report(failure.value, argv)
      return report(Cause.squash(cause), argv).pipe(Effect.as(1))
    })
  )
}

/** The executable: `run` on process.argv with Node's services; the exit code is the process's. */
export const runMain = (argv: ReadonlyArray<string>): void =>
  NodeRuntime.runMain(run(argv).pipe(Effect.provide(cliServices)), {
    disableErrorReporting: true,
    teardown: (exit, onExit) => {
      if (Exit.isSuccess(exit)) return onExit(exit.value as number)
      // Interrupted by SIGINT/SIGTERM (a running emulator): a clean stop.
      if (Cause.hasInterruptsOnly(exit.cause)) return onExit(0)
      process.stderr.write(`error: ${String(Cause.squash(exit.cause)).split("\n")[0]}\n`)
      onExit(1)
    }
  })

export { CliUsageError }
