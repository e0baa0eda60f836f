/** What `rtm-voice emulator` runs, loaded only for that command. */
import { Encryption } from "@rtm-voice/fpnn-transport"
import { runEmulator } from "@rtm-voice/voice-room-emulator"
import { Console, Effect, type Option, type Redacted } from "effect"
import { keyFileSetting, pidSetting, Problems, secretSetting } from "./SettingsResolve.js"
import { withFileSystem } from "./NodeFiles.js"

export interface EmulatorInput {
  readonly host: string
  readonly port: string
  readonly pid: Option.Option<string>
  readonly secret: Option.Option<Redacted.Redacted<string>>
  readonly key: Option.Option<string>
}

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
    const error = problems.error()
    if (error !== undefined) return yield* error
    return yield* runEmulator(
      { host: input.host, port, pid: pid!, secret: secret!, ...(privateKey === undefined ? {} : { encryption: { privateKey } }) },
      (emulator) => Console.log(`listening on ${emulator.address}`)
    )
  }))
