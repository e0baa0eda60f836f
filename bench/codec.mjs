// Codec: the typical voice quest encoded and its answer decoded, per second.
//   ours:          encodeQuest(method, seq, encodePayload(quest)) + FrameReader.push(answer frame)
//                  + decodePayload (the connection's exact path, framing included)
//   msgpackr alone: Packr.pack(quest) + Unpackr.unpack(answer payload), same payloads
// Rounds alternate between the two, each round time-bounded; the median round counts.
//   node codec.mjs <rounds> <msPerRound>
import { performance } from "node:perf_hooks"
import { pathToFileURL } from "node:url"
import { ANSWER_HEX, dist, METHOD, ROOT, send } from "./lib.mjs"

// msgpackr as the transport imports it (its ESM "node" entry; same module instance, since
// Node resolves the pnpm symlink). It is not a root dependency, hence the path.
const msgpackrPath = `${ROOT}/packages/fpnn-transport/node_modules/msgpackr/node-index.js`
const { Packr, Unpackr } = await import(pathToFileURL(msgpackrPath).href)

const [rounds, ms] = process.argv.slice(2).map(Number)
const T = await import(dist("fpnn-transport"))
// The in-place quest writer and answer decoder are internal modules of the transport's dist.
const internal = (path) =>
  import(pathToFileURL(dist("fpnn-transport").replace(/index\.js$/, `internal/${path}`)).href).catch(() => ({}))
const { encodeQuestFrame } = await internal("codec/QuestWriter.js")
const { decodePayloadAt } = await internal("codec/Msgpack.js")

// The getVoiceRoomMemberCount quest as the SDK builds it (RTM-VOICE.md §7 vector values,
// a realistic salt: Date.now() * 1000 is beyond 2^32, so it is an int64 on the wire).
const quest = {
  pid: 11000001,
  sign: "9374F403AB6B82376C6C5C28554E914D",
  salt: 1732550400123456n,
  ts: 1732550400,
  rid: 42
}
const answerFrame = Buffer.from(ANSWER_HEX, "hex")
const answerPayload = answerFrame.subarray(16)

const packr = new Packr({ useRecords: false, variableMapSize: true })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })

let sink = 0
const reader = new T.Frame.FrameReader()
let decoded
// The connection's exact path (Connection.ts): quests encoded in place, answers decoded
// in place in the received bytes. Falls back to the older API on an older build.
const inPlace = typeof encodeQuestFrame === "function" && typeof decodePayloadAt === "function"
const onFrame = (frame) => {
  decoded = T.Codec.decodePayload(frame.payload)
}
const onAnswer = (b, at, total) => {
  decoded = decodePayloadAt(b, at + 16, at + total)
}
const ours = inPlace
  ? (n) => {
    for (let i = 0; i < n; i++) {
      const frame = encodeQuestFrame(METHOD, i + 1, quest)
      reader.push(answerFrame, onFrame, onAnswer)
      sink += frame.length + decoded.count
    }
  }
  : (n) => {
    for (let i = 0; i < n; i++) {
      const frame = T.Frame.encodeQuest(METHOD, i + 1, T.Codec.encodePayload(quest))
      reader.push(answerFrame, onFrame)
      sink += frame.length + decoded.count
    }
  }
const alone = (n) => {
  for (let i = 0; i < n; i++) {
    const bytes = packr.pack(quest)
    const answer = unpackr.unpack(answerPayload)
    sink += bytes.length + answer.count
  }
}

// Sanity: both sides really encode the same quest and decode the same answer, and the
// in-place frame is byte-identical to the two-step one.
if (T.Codec.decodePayload(T.Codec.encodePayload(quest)).rid !== 42 || unpackr.unpack(packr.pack(quest)).rid !== 42) {
  throw new Error("codec sanity check failed")
}
if (
  inPlace &&
  !Buffer.from(encodeQuestFrame(METHOD, 7, quest)).equals(
    Buffer.from(T.Frame.encodeQuest(METHOD, 7, T.Codec.encodePayload(quest)))
  )
) {
  throw new Error("encodeQuestFrame differs from encodeQuest + encodePayload")
}

const measure = (fn) => {
  const batch = 2000
  let n = 0
  const t0 = performance.now()
  const end = t0 + ms
  let t = t0
  while (t < end) {
    fn(batch)
    n += batch
    t = performance.now()
  }
  return n / ((t - t0) / 1000)
}
measure(ours) // warm-up
measure(alone)
const a = []
const b = []
for (let r = 0; r < rounds; r++) {
  a.push(measure(ours))
  b.push(measure(alone))
}
const median = (xs) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)]
const oursPerSec = median(a)
const alonePerSec = median(b)
send({
  path: inPlace ? "in-place" : "two-step",
  oursPerSec,
  msgpackrPerSec: alonePerSec,
  codecVsMsgpackr: oursPerSec / alonePerSec,
  rounds: { ours: a, alone: b },
  sink: sink > 0
})
