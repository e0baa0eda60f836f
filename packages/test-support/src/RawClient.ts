// The raw FPNN client (no signing, no schemas) to the emulator in context: how the
// emulator's tests and the cross-package scenarios send quests the SDK would never send.
import { FpnnClient } from "@rtm-voice/fpnn-transport"
import { VoiceRoomEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Layer } from "effect"

/** A raw FPNN client to the emulator in context, as a layer. */
export const RawClientLayer = Layer.unwrap(
  Effect.gen(function*() {
    const emulator = yield* VoiceRoomEmulator
    return FpnnClient.layer({ endpoint: emulator.address })
  })
)
