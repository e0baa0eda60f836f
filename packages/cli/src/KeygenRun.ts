/** What `rtm-voice keygen` runs, loaded only for that command. */
import { Encryption } from "@rtm-voice/fpnn-transport"
import { Console, Effect, FileSystem } from "effect"
import { join } from "node:path"
import { usageError } from "./Errors.js"
import { withFileSystem } from "./NodeFiles.js"

export interface KeygenInput {
  readonly out: string
  readonly curve: Encryption.Curve
  readonly force: boolean
}

export const runKeygen = ({ curve, force, out }: KeygenInput) =>
  withFileSystem(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const privatePath = join(out, "server-private.pem")
    const publicPath = join(out, "server-public.pem")
    if (!force) {
      const existing: Array<string> = []
      for (
        const path of [privatePath, publicPath]
      ) if (yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false))) existing.push(path)
      if (existing.length > 0) {
        return yield* usageError(
          "FileExists",
          `${existing.join(" and ")} already exist${existing.length === 1 ? "s" : ""}; pass --force to overwrite`
        )
      }
    }
    const pair = Encryption.generateKeyPair(curve)
    const encoder = new TextEncoder()
    // "wx" without --force: a file that appeared since the check is still not overwritten.
    const flag = force ? "w" : "wx"
    yield* fs.makeDirectory(out, { recursive: true })
    yield* fs.writeFile(privatePath, encoder.encode(pair.privateKeyPem), { flag, mode: 0o600 })
    yield* fs.writeFile(publicPath, encoder.encode(pair.publicKeyPem), { flag })
    yield* Console.log(`wrote ${privatePath} (give to: rtm-voice emulator --key ${privatePath})`)
    yield* Console.log(`wrote ${publicPath} (give to clients: --server-key ${publicPath} or RTM_SERVER_KEY)`)
  }))
