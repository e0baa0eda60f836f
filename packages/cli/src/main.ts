#!/usr/bin/env node
/**
 * The `rtm-voice` executable. Maps outcomes to exit codes: 0 success; 1 the service or
 * the connection failed; 2 bad usage or invalid input (found before connecting);
 * SIGINT/SIGTERM stop a running emulator cleanly with 0.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Console, Effect, Exit } from "effect"
import { CliError, Command } from "effect/cli"
import { rtmVoice } from "./Cli.js"
import { describeError } from "./Output.js"
import { VERSION } from "./version.js"

/** The exit code for a failure of a command. */
export const exitCodeOf = (error: unknown): 1 | 2 => {
  if (CliError.isCliError(error)) return 2
  const tag = error !== null && typeof error === "object" ? (error as { _tag?: unknown })._tag : undefined
  // Bad input or configuration: rejected before anything was sent.
  if (tag === "VoiceRoomValidationError" || tag === "VoiceRoomOptionsError" || tag === "FpnnOptionsError") return 2
  return 1
}

const subcommandNames = new Set(rtmVoice.subcommands.flatMap((group) => group.commands.map((c) => c.name)))

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

export const main = (argv: ReadonlyArray<string>) =>
  flagBeforeCommand(argv) !== undefined
    ? Console.error("error: --secret goes after the command name: rtm-voice <command> --secret … [arguments] (or set RTM_SECRET)")
      .pipe(Effect.as(2))
    : runCli(argv)

const runCli = (argv: ReadonlyArray<string>) =>
  Command.runWith(rtmVoice, { version: VERSION })(argv).pipe(
    Effect.as(0),
    Effect.catch((error) =>
      CliError.isCliError(error)
        ? Effect.succeed(2) // effect's CLI has already printed the problem and the help
        : Console.error(describeError(error)).pipe(Effect.as(exitCodeOf(error)))
    ),
    Effect.provide(NodeServices.layer)
  )

NodeRuntime.runMain(main(process.argv.slice(2)), {
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    if (Exit.isSuccess(exit)) return onExit(exit.value as number)
    // Interrupted by SIGINT/SIGTERM (a running emulator): a clean stop.
    if (Cause.hasInterruptsOnly(exit.cause)) return onExit(0)
    process.stderr.write(`${Cause.pretty(exit.cause)}\n`)
    onExit(1)
  }
})
