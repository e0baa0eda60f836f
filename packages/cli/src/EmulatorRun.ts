/** What `rtm-voice emulator` runs, loaded only for that command. */
import { Encryption } from "@rtm-voice/fpnn-transport"
import { decodeFaultPlan, type Fault, parseFault, runEmulator } from "@rtm-voice/voice-room-emulator"
import { Console, Effect, FileSystem, type Option, type Redacted, Result } from "effect"
import { withFileSystem } from "./NodeFiles.js"
import { keyFileSetting, pidSetting, Problems, secretSetting } from "./SettingsResolve.js"

export interface EmulatorInput {
  readonly host: string
  readonly port: string
  readonly pid: Option.Option<string>
  readonly secret: Option.Option<Redacted.Redacted<string>>
  readonly key: Option.Option<string>
  readonly faults: Option.Option<string>
  readonly fault: ReadonlyArray<string>
}

/** The fault plan of `--faults` (a JSON file) followed by each `--fault`; problems are collected. */
const faultPlan = (input: EmulatorInput, problems: Problems) =>
  Effect.gen(function*() {
    let seed: number | undefined
    const faults: Array<Fault> = []
    if (input.faults._tag === "Some") {
      const path = input.faults.value
      const fs = yield* FileSystem.FileSystem
      const text = yield* fs.readFileString(path).pipe(
        Effect.catch((e) => Effect.sync(() => problems.bad(`--faults: cannot read ${path}: ${e.message}`)))
      )
      if (typeof text === "string") {
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch (e) {
          problems.bad(`--faults: ${path} is not JSON: ${(e as Error).message}`)
        }
        if (parsed !== undefined) {
          const decoded = decodeFaultPlan(parsed)
          if (Result.isFailure(decoded)) problems.bad(`--faults: ${path}: ${decoded.failure.message}`)
          else {
            seed = decoded.success.seed
            faults.push(...decoded.success.faults)
          }
        }
      }
    }
    for (const text of input.fault) {
      const one = parseFault(text)
      if (Result.isFailure(one)) problems.bad(`--fault: ${one.failure.message}`)
      else faults.push(one.success)
    }
    return faults.length === 0 ? undefined : { ...(seed === undefined ? {} : { seed }), faults }
  })

export const runEmulatorCommand = (input: EmulatorInput) =>
  withFileSystem(Effect.gen(function*() {
    const problems = new Problems()
    const port = /^\s*\d+\s*$/.test(input.port) ? Number(input.port) : NaN
    if (!(Number.isSafeInteger(port) && port >= 0 && port <= 65535)) {
      problems.bad(`--port must be an integer from 0 to 65535, got ${JSON.stringify(input.port)}`)
    }
    const pid = yield* pidSetting(input.pid, problems)
    const secret = yield* secretSetting(input.secret, problems)
    const privateKey = input.key._tag === "None"
      ? undefined
      : yield* keyFileSetting(
        { from: "--key", value: input.key.value },
        "private key",
        (bytes) => Encryption.parseServerPrivateKey(bytes),
        problems
      )
    const faults = yield* faultPlan(input, problems)
    const error = problems.error()
    if (error !== undefined) return yield* error
    return yield* runEmulator(
      {
        host: input.host,
        port,
        pid: pid!,
        secret: secret!,
        ...(privateKey === undefined ? {} : { encryption: { privateKey } }),
        ...(faults === undefined ? {} : { faults })
      },
      (emulator) => Console.log(`listening on ${emulator.address}`)
    )
  }))
