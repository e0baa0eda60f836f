// The Effect-side server of the benchmark, in its own process:
//   node server.mjs emulator    the voice-room emulator (the transport server if not built)
//   node server.mjs encrypted   the transport's makeServer with encryption (plain accepted too)
// Prints {port, kind, publicKey?} when listening; runs until SIGTERM.
import { existsSync } from "node:fs"
import { dist, PID, SECRET, send } from "./lib.mjs"

const encrypted = process.argv.includes("encrypted")
const { Effect, Redacted } = await import("effect")
const T = await import(dist("fpnn-transport"))
const keys = encrypted ? T.Encryption.generateKeyPair() : undefined
const encryption = keys === undefined ? undefined : { privateKey: keys.privateKeyPem }

let kind
let program
const emulatorPath = dist("voice-room-emulator")
const E = existsSync(emulatorPath) ? await import(emulatorPath).catch(() => undefined) : undefined
// The emulator has no encryption option: encrypted runs use the transport server below.
if (!encrypted && E !== undefined && typeof E.makeEmulator === "function") {
  kind = "emulator"
  program = Effect.gen(function*() {
    const emu = yield* E.makeEmulator({ port: 0, pid: PID, secret: Redacted.make(SECRET) })
    send({ port: emu.port, kind, publicKey: keys?.publicKeyPem })
    return yield* Effect.never
  })
} else {
  // The transport's FPNN server with one handler answering {count: 3}: the encrypted
  // runs (and the fallback when the emulator is not built).
  kind = "fpnn-server"
  program = Effect.gen(function*() {
    const server = yield* T.FpnnServer.make({
      encryption,
      handlers: {
        getVoiceRoomMemberCount: (payload) => Effect.succeed({ count: payload.rid === 42 ? 3 : 0 })
      }
    })
    send({ port: server.port, kind, publicKey: keys?.publicKeyPem })
    return yield* Effect.never
  })
}
process.on("SIGTERM", () => process.exit(0))
Effect.runFork(Effect.scoped(program))
