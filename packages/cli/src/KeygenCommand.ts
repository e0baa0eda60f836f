/** `rtm-voice keygen`: a key pair for the emulator's encrypted connections. */
import type { Encryption } from "@rtm-voice/fpnn-transport"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"

/**
 * The curves `Encryption.generateKeyPair` supports (Encryption.CURVE_NAMES; a test keeps
 * them equal). Listed here so that `--help` does not load node:crypto.
 */
export const CURVES = ["secp256k1", "secp256r1", "secp224r1", "secp192r1"] as const satisfies ReadonlyArray<
  Encryption.Curve
>

export const keygenCommand = Command.make(
  "keygen",
  {
    out: Flag.String("out").pipe(
      Flag.withMetavar("dir"),
      Flag.withDefault("."),
      Flag.withDescription("directory to write the key files to")
    ),
    curve: Flag.Literals("curve", CURVES).pipe(
      Flag.withDefault("secp256k1" as const),
      Flag.withDescription("curve (RTM uses secp256k1)")
    ),
    force: Flag.Boolean("force").pipe(
      Flag.withDefault(false),
      Flag.withDescription("overwrite key files that already exist")
    )
  },
  (input) => Effect.flatMap(Effect.promise(() => import("./KeygenRun.js")), (run) => run.runKeygen(input))
).pipe(Command.withDescription(
  "Make an ECDH key pair for encrypted connections to the emulator (PEM files); "
    + "existing files are kept unless --force."
))
