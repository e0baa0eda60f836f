/**
 * The executable's one-shot operation call: a command line OneShot.ts has read, run as
 * effect's CLI would run it (the command's handler, Run.ts), with the same report and
 * exit code (Report.ts), and without effect's CLI or its platform services: the call
 * needs none of them.
 */
import { Effect, Option, Redacted } from "effect"
import { type CommandSpec, commandSpecs } from "./Commands.js"
import type { OneShotCall } from "./OneShot.js"
import { commandOf, printFailure, runExitCode, toExitCode, usageExitCode } from "./Report.js"
import { type OperationInput, runOperation } from "./Run.js"
import { type Dialect, SETTING_FLAGS as F } from "./Settings.js"

/** The handler's input, as effect's CLI builds it from the same command line. */
export const operationInput = (spec: CommandSpec, { flags, json, positionals }: OneShotCall): OperationInput => {
  const flag = (name: string): Option.Option<string> => Option.fromUndefinedOr(flags.get(name))
  return {
    endpoint: flag(F.endpoint),
    pid: flag(F.pid),
    secret: Option.map(flag(F.secret), (s) => Redacted.make(s)),
    timeout: flag(F.timeout),
    dialect: flag(F.dialect) as Option.Option<Dialect>, // checked by OneShot.ts
    serverKey: flag(F.serverKey),
    json,
    positionals,
    from: spec.fromFlag === undefined ? undefined : flag("from"),
    extras: Object.fromEntries(spec.extraFlags.map(({ extra, flag: name }) => [extra.option, flag(name)]))
  }
}

/** The call as the executable's program: its exit code. */
export const callProgram = (call: OneShotCall, argv: ReadonlyArray<string>): Effect.Effect<number> => {
  const spec = commandSpecs.find((s) => s.name === call.command)
  if (spec === undefined) return Effect.die(new Error(`rtm-voice: no operation command ${call.command}`))
  return toExitCode(
    runOperation(spec, operationInput(spec, call)),
    (failure) => printFailure(failure, usageExitCode(failure), commandOf(argv), argv)
  )
}

/** Runs the call on Node's runtime; its exit code is the process's. */
export const runCall = (call: OneShotCall, argv: ReadonlyArray<string>): void => runExitCode(callProgram(call, argv))
