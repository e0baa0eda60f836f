/**
 * The `rtm-voice` command line (effect's CLI module): one command per voice-room
 * operation, derived from the operation table (Commands.ts), plus `emulator`, `demo`
 * and `keygen`.
 *
 * Exit codes: 0 success; 1 the service or the connection failed (stderr names the
 * error tag, the code and the message); 2 bad usage or invalid input, detected before
 * connecting.
 */
import { type OperationName, VoiceRoomClient, VoiceRoomValidationError } from "@rtm-voice/voice-room"
import { Console, Effect, Option, References } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { type CommandSpec, commandSpecs, toArguments } from "./Commands.js"
import { demo } from "./Demo.js"
import { emulatorCommand } from "./EmulatorCommand.js"
import { keygenCommand } from "./KeygenCommand.js"
import { exactJson, humanResult, jsonResult } from "./Output.js"
import { clientLayer, type Settings, settingsFlags } from "./Settings.js"

const positionalArgument = (spec: CommandSpec, index: number) => {
  const p = spec.positionals[index]!
  const described = (a: Argument.Argument<string>) => a.pipe(Argument.withDescription(`${p.description} (${p.kind === "status" ? "on|off" : p.kind === "command" ? "command name" : "integer"})`))
  return p.kind === "uids"
    ? Argument.String(p.name).pipe(Argument.withDescription(`${p.description} (integers)`), Argument.variadic())
    : described(Argument.String(p.name))
}

const operationCommand = (spec: CommandSpec) => {
  const config: Record<string, Argument.Argument<unknown> | Flag.Flag<unknown>> = { ...settingsFlags }
  spec.positionals.forEach((_, i) => {
    config[`arg${i}`] = positionalArgument(spec, i) as Argument.Argument<unknown>
  })
  if (spec.fromFlag !== undefined) {
    config.from = Flag.String("from").pipe(Flag.optional, Flag.withDescription(spec.fromFlag.description)) as Flag.Flag<unknown>
  }
  return Command.make(spec.name, config, (input: Record<string, unknown>) =>
    Effect.gen(function*() {
      const positionals = spec.positionals.map((_, i) => input[`arg${i}`] as string | ReadonlyArray<string>)
      const from = input.from as Option.Option<string> | undefined
      const args = toArguments(spec, positionals, from === undefined ? undefined : Option.getOrUndefined(from))
      if (args instanceof VoiceRoomValidationError) return yield* args
      const name = spec.operation.name as OperationName
      const result = yield* VoiceRoomClient.use((client) => client.invoke(name, args)).pipe(
        Effect.provide(clientLayer(input as unknown as Settings)),
        // The SDK's connection logs are for services; the CLI reports the outcome itself.
        Effect.provideService(References.MinimumLogLevel, "None")
      )
      yield* Console.log(input.json === true ? exactJson(jsonResult(name, result)) : humanResult(name, args, result))
    })
  ).pipe(
    Command.withDescription(
      `${spec.operation.description} Usage: rtm-voice ${spec.usage}. ` +
        `Wire method: ${spec.operation.wire.voice} (voice) / ${spec.operation.wire.rtc} (rtc).`
    )
  )
}

export const rtmVoice = Command.make("rtm-voice").pipe(
  Command.withDescription(
    "iLiveData RTM voice rooms from the command line: every operation of the SDK, a local RTM voice " +
      "gateway emulator, and a demo. Usage: rtm-voice <command> [options] [arguments]"
  ),
  Command.withSubcommands([...commandSpecs.map(operationCommand), emulatorCommand, demo, keygenCommand])
)
