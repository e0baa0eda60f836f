/**
 * The `rtm-voice` command runner: parses argv, runs the command, prints every failure as
 * one line on stderr (one JSON object under `--json`) and maps outcomes to exit codes:
 * 0 success; 1 the service or the connection failed; 2 bad usage or invalid input (found
 * before connecting); SIGINT/SIGTERM stop a running emulator cleanly with 0.
 *
 * `run` is the whole CLI as an Effect (argv in, exit code out), so tests run it in process
 * with a captured console and a given environment; `runMain` is what the executable runs.
 */
import { Effect } from "effect"
import { CliError, CliOutput, Command } from "effect/cli"
import { rtmVoiceFor } from "./CliTree.js"
import { CliUsageError, type CliUsageReasonTag, usageError } from "./Errors.js"
import { commandOf, COMMANDS, printFailure, runExitCode, subcommandNames, toExitCode, usageExitCode } from "./Report.js"
import { cliServices } from "./Services.js"
import { VERSION } from "./version.js"

/** The exit code for a failure of a command. */
export const exitCodeOf = (error: unknown): 1 | 2 => (CliError.isCliError(error) ? 2 : usageExitCode(error))

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
const fromShowHelp = (
  error: CliError.ShowHelp
): { readonly error: CliUsageError; readonly path: ReadonlyArray<string> } => {
  const path = error.commandPath.slice(1)
  if (error.errors.length === 0) {
    return { error: usageError("MissingArgument", `no command given; one of: ${COMMANDS.join(", ")}`), path }
  }
  const messages = error.errors.map((e) => oneLine(e.message))
  return { error: usageError(reasonOfCliError(error.errors[0]!), messages.join("; ")), path }
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
    return printFailure(error, exitCodeOf(error), path, argv)
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
      usageError(
        "MisplacedFlag",
        "--secret goes after the command name: rtm-voice <command> --secret … [arguments] (or set RTM_SECRET)"
      )
    )
    : Command.runWith(rtmVoiceFor(argv), { version: options.version ?? VERSION })(argv).pipe(Effect.provide(presenter))
  return toExitCode(program as Effect.Effect<void, unknown, Command.Environment>, (failure) => report(failure, argv))
}

/** The executable: `run` on process.argv with Node's services; the exit code is the process's. */
export const runMain = (argv: ReadonlyArray<string>): void => runExitCode(run(argv).pipe(Effect.provide(cliServices)))

export { CliUsageError }
