// What the "SDK" column calls: VoiceRoomClient.getVoiceRoomMemberCount when the
// voice-room package is built and exports it, else (until then) the transport-level
// equivalent: FpnnClient.call("getVoiceRoomMemberCount", payload signed per call).
import { existsSync } from "node:fs"
import { dist, METHOD, PID, SECRET, signedFields } from "./lib.mjs"

const { Effect, Layer, Redacted, Tracer } = await import("effect")
const T = await import(dist("fpnn-transport"))
const voiceRoomPath = dist("voice-room")
const V = existsSync(voiceRoomPath) ? await import(voiceRoomPath).catch(() => undefined) : undefined

// BENCH_LEVEL=transport forces the transport-level column (to split SDK from transport cost).
export const level = process.env.BENCH_LEVEL !== "transport" && V !== undefined && V.VoiceRoomClient !== undefined
  ? "voice-room"
  : "transport"

/**
 * A Layer providing `Caller`, and the accessor: `(roomId) => Effect<number>`.
 * options: { endpoint, encryption? }
 */
export const makeCallerLayer = (options) => {
  if (level === "voice-room") {
    const layer = V.VoiceRoomClient.layer({
      endpoint: options.endpoint,
      pid: PID,
      secret: Redacted.make(SECRET),
      transport: { encryption: options.encryption, questTimeout: 30_000 }
    })
    return {
      layer,
      caller: Effect.gen(function*() {
        const c = yield* V.VoiceRoomClient
        return (rid) => c.getVoiceRoomMemberCount(rid)
      })
    }
  }
  const layer = T.FpnnClient.layer({ endpoint: options.endpoint, encryption: options.encryption, questTimeout: 30_000 })
  return {
    layer,
    caller: Effect.gen(function*() {
      const c = yield* T.FpnnClient
      return (rid) => Effect.map(c.call(METHOD, signedFields(BigInt(rid))), (answer) => answer.count)
    })
  }
}

/**
 * `BENCH_TRACER=recording`: a tracer that keeps every ended span, as an exporter's
 * buffer would (a ring of the last 4,096, so memory stays bounded), and counts them, so the
 * traced column can say that every call made a span. Unset: no tracer is installed (effect's
 * native one, which records nothing).
 */
export const traced = process.env.BENCH_TRACER === "recording"
const ring = new Array(4096)
let ended = 0
class RecordedSpan extends Tracer.NativeSpan {
  end(endTime, exit) {
    super.end(endTime, exit)
    ring[ended++ & 4095] = this
  }
}
const recording = Tracer.make({ span: (options) => new RecordedSpan(options) })
export const withBenchTracer = (effect) => (traced ? Effect.withTracer(effect, recording) : effect)
export const spansEnded = () => ended

export { Effect, Layer, T }
