/**
 * Runs one operation command: arguments first (no I/O), then the settings (environment,
 * key file), then the call. Loaded by the command's handler only when it runs, so that
 * `--help` never loads the client, the transport or msgpackr.
 */
import { type OperationName, VoiceRoomClient } from "@rtm-voice/voice-room"
import { Console, Effect, Option, References } from "effect"
import { type CommandSpec, toArguments, toCallOptions } from "./Commands.js"
import { withFileSystem } from "./NodeFiles.js"
import { exactJson, humanResult, jsonResult } from "./Output.js"
import type { Settings, SettingsInput } from "./Settings.js"
import { resolveSettings } from "./SettingsResolve.js"

export interface OperationInput extends SettingsInput {
  readonly positionals: ReadonlyArray<string | ReadonlyArray<string>>
  readonly from: Option.Option<string> | undefined
  /** The dialect extras' flags (e.g. pull's `--type`), by option name. */
  readonly extras: Readonly<Record<string, Option.Option<string>>>
}

/** The client layer for resolved settings. */
export const clientLayer = (settings: Settings) =>
  VoiceRoomClient.layer({
    endpoint: settings.endpoint,
    pid: settings.pid,
    secret: settings.secret,
    dialect: settings.dialect,
    ...(settings.timeout === undefined ? {} : { timeout: settings.timeout }),
    ...(settings.serverKey === undefined ? {} : { transport: { encryption: { serverKey: settings.serverKey } } })
  })

export const runOperation = (spec: CommandSpec, input: OperationInput) =>
  withFileSystem(Effect.gen(function*() {
    const from = input.from === undefined ? undefined : Option.getOrUndefined(input.from)
    const args = yield* Effect.fromResult(toArguments(spec, input.positionals, from))
    const callOptions = yield* Effect.fromResult(toCallOptions(
      spec,
      Object.fromEntries(Object.entries(input.extras).map(([option, value]) => [option, Option.getOrUndefined(value)]))
    ))
    const settings = yield* resolveSettings(input)
    const name = spec.operation.name as OperationName
    const result = yield* VoiceRoomClient.use((client) =>
      client.invoke(name, args, Object.keys(callOptions).length === 0 ? undefined : callOptions)
    ).pipe(
      Effect.provide(clientLayer(settings)),
      // The SDK's connection logs are for services; the CLI reports the outcome itself.
      Effect.provideService(References.MinimumLogLevel, "None")
    )
    yield* Console.log(input.json ? exactJson(jsonResult(name, result)) : humanResult(name, args, result))
  }))
