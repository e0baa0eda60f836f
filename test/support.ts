// Shared fixtures of the cross-package scenarios: an emulator on a free port of
// 127.0.0.1, SDK clients connected to it and quests signed as the SDK signs them (the raw
// client layer and the recording tracer are @rtm-voice/test-support's).
import { type Codec, FpnnClient } from "@rtm-voice/fpnn-transport"
import { authFields, makeVoiceRoomClient, nextSalt, type VoiceRoomClientOptions } from "@rtm-voice/voice-room"
import { VoiceRoomEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Redacted } from "effect"

export const PID = 11000001
/** Distinctive so that a leak anywhere is found by a plain substring search. */
export const SECRET_TEXT = "sEcReT-7f3a9c-never-print-me"
export const SECRET = Redacted.make(SECRET_TEXT)

export const EmulatorLayer = VoiceRoomEmulator.layer({ pid: PID, secret: SECRET })

/** An SDK client on its own connection to the emulator in context. */
export const sdk = (options: Partial<VoiceRoomClientOptions> = {}) =>
  Effect.gen(function*() {
    const emulator = yield* VoiceRoomEmulator
    const transport = yield* FpnnClient.make({ endpoint: emulator.address })
    return yield* makeVoiceRoomClient(transport, { pid: PID, secret: SECRET, ...options })
  })

/** Signs fields as the SDK would (optionally with another pid/secret/ts). */
export const signed = (
  method: string,
  fields: Codec.Payload,
  options: { readonly pid?: number; readonly secret?: string; readonly ts?: number } = {}
): Codec.Payload => ({
  ...authFields(
    options.pid ?? PID,
    options.secret ?? SECRET_TEXT,
    method,
    nextSalt(),
    options.ts ?? Math.floor(Date.now() / 1000)
  ),
  ...fields
})
