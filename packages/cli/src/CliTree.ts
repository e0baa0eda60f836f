/**
 * The commands of the `rtm-voice` command line (effect's CLI module): one command per
 * voice-room operation, derived from the operation table (Commands.ts), plus `emulator`,
 * `demo` and `keygen`. `rtmVoiceTree()` is the whole tree (Cli.ts's `rtmVoice`);
 * `rtmVoiceFor(argv)` is what the executable parses with: when the first argument names a
 * command, a root with only that command (the same parse for that command line, without
 * building the thirty others), else the whole tree (a root flag, no command, an unknown
 * command and its suggestions).
 *
 * This module declares the commands only: each handler loads what it runs on demand
 * (Run.ts, the emulator, the demo, key generation), so that `--help` and a parse error
 * load effect's CLI and the operation table, and nothing else.
 *
 * Exit codes: 0 success; 1 the service or the connection failed (stderr names the
 * error tag, the code and the message); 2 bad usage or invalid input, detected before
 * connecting.
 */
import { adminCommandNames, type Param, type ParamKind } from "@rtm-voice/voice-room"
import { Effect, type Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { type CommandSpec, commandSpecs, extraFlagDescription } from "./Commands.js"
import { emulatorCommand } from "./EmulatorCommand.js"
import { keygenCommand } from "./KeygenCommand.js"
import type { SettingsInput } from "./Settings.js"
import { settingsFlags } from "./SettingsFlags.js"

const integerArgument = (p: Param): Argument.Argument<unknown> =>
  Argument.String(p.name).pipe(Argument.withMetavar("integer"), Argument.withDescription(p.description))

/** The command-line argument of a positional parameter of each kind. */
const argumentOf: Record<ParamKind, (p: Param) => Argument.Argument<unknown>> = {
  roomId: integerArgument,
  uid: integerArgument,
  fromUid: integerArgument,
  uids: (p) =>
    Argument.String(p.name).pipe(
      Argument.withMetavar("integer"),
      Argument.withDescription(p.description),
      Argument.variadic()
    ),
  status: (p) =>
    Argument.Literals(p.name, ["on", "off"] as const).pipe(
      Argument.withDescription("on or off (the SDK's true / false)")
    ),
  command: (p) =>
    Argument.Literals(p.name, adminCommandNames).pipe(
      Argument.withDescription(`${p.description}: one of ${adminCommandNames.join(", ")}`)
    )
}

const positionalArgument = (spec: CommandSpec, index: number): Argument.Argument<unknown> => {
  const p = spec.positionals[index]!
  return argumentOf[p.kind](p)
}

const operationCommand = (spec: CommandSpec) => {
  const config: Record<string, Argument.Argument<unknown> | Flag.Flag<unknown>> = { ...settingsFlags }
  spec.positionals.forEach((_, i) => {
    config[`arg${i}`] = positionalArgument(spec, i)
  })
  if (spec.fromFlag !== undefined) {
    config.from = Flag.String("from").pipe(
      Flag.withMetavar("integer"),
      Flag.optional,
      Flag.withDescription(spec.fromFlag.description)
    ) as Flag.Flag<unknown>
  }
  for (const { extra, flag } of spec.extraFlags) {
    config[`extra_${extra.option}`] = Flag.String(flag).pipe(
      Flag.optional,
      Flag.withDescription(extraFlagDescription(spec, extra))
    ) as Flag.Flag<unknown>
  }
  return Command.make(
    spec.name,
    config,
    (input: Record<string, unknown>) =>
      Effect.flatMap(Effect.promise(() => import("./Run.js")), (run) =>
        run.runOperation(spec, {
          ...(input as unknown as SettingsInput),
          positionals: spec.positionals.map((_, i) => input[`arg${i}`] as string | ReadonlyArray<string>),
          from: input.from as Option.Option<string> | undefined,
          extras: Object.fromEntries(spec.extraFlags.map(({ extra }) => [
            extra.option,
            input[`extra_${extra.option}`] as Option.Option<string>
          ]))
        }))
  ).pipe(
    Command.withDescription(
      `${spec.operation.description} Usage: rtm-voice ${spec.usage}. ` +
        `Wire method: ${spec.operation.wire.voice} (voice) / ${spec.operation.wire.rtc} (rtc).`
    )
  )
}

const demoCommand = Command.make(
  "demo",
  {},
  () => Effect.flatMap(Effect.promise(() => import("./Demo.js")), (demo) => demo.runDemo)
).pipe(
  Command.withDescription(
    "Start an embedded emulator on a free port and run every operation through the SDK, narrated."
  )
)

const ROOT_DESCRIPTION =
  "iLiveData RTM voice rooms from the command line: every operation of the SDK, a local RTM voice " +
  "gateway emulator, and a demo. Usage: rtm-voice <command> [options] [arguments]"

/** The whole command tree. */
export const rtmVoiceTree = () =>
  Command.make("rtm-voice").pipe(
    Command.withDescription(ROOT_DESCRIPTION),
    Command.withSubcommands([...commandSpecs.map(operationCommand), emulatorCommand, demoCommand, keygenCommand])
  )

/** The tree to parse `argv` with: only the command `argv[0]` names, when it names one. */
export const rtmVoiceFor = (argv: ReadonlyArray<string>) => {
  const name = argv[0]
  const spec = commandSpecs.find((s) => s.name === name)
  const only = spec !== undefined
    ? operationCommand(spec)
    : name === "emulator"
    ? emulatorCommand
    : name === "demo"
    ? demoCommand
    : name === "keygen"
    ? keygenCommand
    : undefined
  return only === undefined
    ? rtmVoiceTree()
    : Command.make("rtm-voice").pipe(Command.withDescription(ROOT_DESCRIPTION), Command.withSubcommands([only]))
}
