// Encrypted connections through the whole stack: the SDK configured from the
// environment (RTM_SERVER_KEY & co.) against the emulator holding the private key.
import { assert, describe, expect, it } from "@effect/vitest"
import { Encryption } from "@rtm-voice/fpnn-transport"
import { recordingTracer } from "@rtm-voice/test-support"
import { VoiceRoomClient } from "@rtm-voice/voice-room"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { ConfigProvider, Effect, Exit, Layer, Option } from "effect"
import { generateKeyPairSync } from "node:crypto"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { PID, SECRET, SECRET_TEXT } from "./support.js"

const keys = Encryption.generateKeyPair("secp256k1")
const rsaPem = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({
  type: "spki",
  format: "pem"
}) as string
const other = Encryption.generateKeyPair("secp256k1")
const dir = mkdtempSync(join(tmpdir(), "rtm-keys-"))
writeFileSync(join(dir, "server-public.pem"), keys.publicKeyPem)
writeFileSync(join(dir, "other-public.der"), other.publicKeyDer)

const fromEnv = (endpoint: string, env: Record<string, string>) =>
  VoiceRoomClient.layerConfig().pipe(
    Layer.provide(
      ConfigProvider.layer(
        ConfigProvider.fromUnknown({ RTM_ENDPOINT: endpoint, RTM_PID: String(PID), RTM_SECRET: SECRET_TEXT, ...env })
      )
    )
  )

describe("encrypted connections from configuration", () => {
  for (const [mode, strength] of [["package", "128"], ["stream", "256"]] as const) {
    it.live(`RTM_SERVER_KEY with ${mode} mode, AES-${strength}: every operation works`, () =>
      Effect.gen(function*() {
        const emulator = yield* makeEmulator({
          pid: PID,
          secret: SECRET,
          encryption: { privateKey: keys.privateKeyPem }
        })
        const env = {
          RTM_SERVER_KEY: join(dir, "server-public.pem"),
          RTM_ENCRYPTION_MODE: mode,
          RTM_ENCRYPTION_STRENGTH: strength
        }
        const members = yield* Effect.gen(function*() {
          const client = yield* VoiceRoomClient
          yield* client.pullUserIntoVoiceRoom(2n ** 53n + 1n, [2n ** 63n - 1n])
          return yield* client.getVoiceRoomMembers(2n ** 53n + 1n)
        }).pipe(Effect.provide(fromEnv(emulator.address, env)))
        expect(members.uids).toEqual([2n ** 63n - 1n])
      }))
  }

  it.live("connecting and the key exchange have spans of their own, under the call that connected", () =>
    Effect.gen(function*() {
      const emulator = yield* makeEmulator({ pid: PID, secret: SECRET, encryption: { privateKey: keys.privateKeyPem } })
      const { spans, tracer } = recordingTracer()
      yield* VoiceRoomClient.use((c) => c.getVoiceRoomList()).pipe(
        Effect.provide(fromEnv(emulator.address, { RTM_SERVER_KEY: join(dir, "server-public.pem") })),
        Effect.withTracer(tracer)
      )
      const call = spans.find((s) => s.name === "VoiceRoom.getVoiceRoomList")
      const connect = spans.find((s) => s.name === "FpnnClient.connect")
      const keyExchange = spans.find((s) => s.name === "FpnnClient.keyExchange")
      assert(call !== undefined && connect !== undefined && keyExchange !== undefined)
      const parentOf = (s: typeof call) => Option.getOrUndefined(s.parent)?.spanId
      expect(parentOf(connect)).toBe(call.spanId)
      expect(parentOf(keyExchange)).toBe(connect.spanId)
      expect(connect.attributes.get("fpnn.encrypted")).toBe(true)
      expect(keyExchange.attributes.get("fpnn.encryption.mode")).toBe("package")
      expect(keyExchange.attributes.get("fpnn.encryption.strength")).toBe(128)
      expect(keyExchange.attributes.get("server.address")).toBe("127.0.0.1")
      assert(keyExchange.status._tag === "Ended" && Exit.isSuccess(keyExchange.status.exit))
    }))

  it.live("the wrong server key fails fast with a tagged Encryption error", () =>
    Effect.gen(function*() {
      const emulator = yield* makeEmulator({ pid: PID, secret: SECRET, encryption: { privateKey: keys.privateKeyRaw } })
      const start = Date.now()
      const error = yield* VoiceRoomClient.use((c) => c.getVoiceRoomList()).pipe(
        Effect.provide(
          fromEnv(emulator.address, { RTM_SERVER_KEY: join(dir, "other-public.der"), RTM_TIMEOUT: "3000" })
        ),
        Effect.flip
      )
      assert(error._tag === "FpnnConnectionError")
      expect(error.reason?._tag).toBe("Encryption")
      expect(Date.now() - start).toBeLessThan(3000) // before RTM_TIMEOUT (the reason says so too)
    }))

  it.live("an unreadable RTM_SERVER_KEY is an I/O error of its own (not a validation error) naming the variable", () =>
    Effect.gen(function*() {
      const error = yield* VoiceRoomClient.use((c) => c.getVoiceRoomList()).pipe(
        Effect.provide(fromEnv("127.0.0.1:1", { RTM_SERVER_KEY: join(dir, "missing.pem") })),
        Effect.flip
      )
      assert(error._tag === "VoiceRoomConfigFileError", String(error))
      expect(error.option).toBe("RTM_SERVER_KEY")
      expect(error.path).toBe(join(dir, "missing.pem"))
    }))

  it.live("an empty or non-EC RTM_SERVER_KEY fails the layer with VoiceRoomOptionsError (InvalidKey), typed", () =>
    Effect.gen(function*() {
      writeFileSync(join(dir, "empty.pem"), "")
      writeFileSync(join(dir, "rsa.pem"), rsaPem)
      for (const file of ["empty.pem", "rsa.pem"]) {
        const error = yield* VoiceRoomClient.use((c) => c.getVoiceRoomList()).pipe(
          Effect.provide(fromEnv("127.0.0.1:1", { RTM_SERVER_KEY: join(dir, file) })),
          Effect.flip
        )
        assert(error._tag === "VoiceRoomOptionsError", String(error))
        expect([error.option, error.reason._tag, error.sent]).toEqual(["RTM_SERVER_KEY", "InvalidKey", false])
      }
    }))

  it.live("the emulator with a key still serves plain clients", () =>
    Effect.gen(function*() {
      const emulator = yield* makeEmulator({ pid: PID, secret: SECRET, encryption: { privateKey: keys.privateKeyPem } })
      const rooms = yield* VoiceRoomClient.use((c) => c.getVoiceRoomList()).pipe(
        Effect.provide(fromEnv(emulator.address, {}))
      )
      expect(rooms).toEqual([])
    }))
})
