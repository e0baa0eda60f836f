/** `rtm-voice keygen`: a key pair for the emulator's encrypted connections. */
import { Encryption } from "@rtm-voice/fpnn-transport"
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"

export const keygenCommand = Command.make(
  "keygen",
  {
    out: Flag.String("out").pipe(Flag.withDefault("."), Flag.withDescription("directory to write the key files to")),
    curve: Flag.Literals("curve", Encryption.CURVE_NAMES).pipe(Flag.withDefault("secp256k1" as const), Flag.withDescription("curve (RTM uses secp256k1)"))
  },
  ({ curve, out }) =>
    Effect.gen(function*() {
      const pair = Encryption.generateKeyPair(curve)
      const privatePath = join(out, "server-private.pem")
      const publicPath = join(out, "server-public.pem")
      yield* Effect.sync(() => {
        mkdirSync(out, { recursive: true })
        writeFileSync(privatePath, pair.privateKeyPem, { mode: 0o600 })
        writeFileSync(publicPath, pair.publicKeyPem)
      })
      yield* Console.log(`wrote ${privatePath} (give to: rtm-voice emulator --key ${privatePath})`)
      yield* Console.log(`wrote ${publicPath} (give to clients: --server-key ${publicPath} or RTM_SERVER_KEY)`)
    })
).pipe(Command.withDescription("Make an ECDH key pair for encrypted connections to the emulator (PEM files)."))
