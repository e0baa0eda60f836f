// The raw column: the leanest honest RTM client. A plain node:net client that, for every
// quest, takes a fresh salt and the current ts, signs with MD5 (RTM-VOICE.md §2), encodes
// the payload with msgpackr and frames it (docs/PROTOCOL.md §1), and decodes every answer
// with msgpackr. It keeps exactly `window` quests in flight on one connection and refills
// the window once per received chunk, with one write per refill. No Effect, no validation,
// no span, no metrics, no timeout.
//   node client-raw.mjs <port> <window> <count> <maxSeconds> <warmupCount>
import * as Net from "node:net"
import { performance } from "node:perf_hooks"
import { pathToFileURL } from "node:url"
import { METHOD, ROOM_ID, ROOT, send, signedFields, stats } from "./lib.mjs"

// msgpackr as the transport has it (not a root dependency, hence the path), with the
// transport's options: plain maps, no records.
const msgpackrPath = `${ROOT}/packages/fpnn-transport/node_modules/msgpackr/node-index.js`
const { Packr, Unpackr } = await import(pathToFileURL(msgpackrPath).href)
const packr = new Packr({ useRecords: false, variableMapSize: true })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: "auto" })

const [port, window, count, maxSeconds, warmup] = process.argv.slice(2).map(Number)
const METHOD_BYTES = Buffer.from(METHOD, "latin1")
const HEAD = 16 + METHOD_BYTES.length

/** One signed getVoiceRoomMemberCount quest frame. */
const questFrame = (seq) => {
  const payload = packr.pack(signedFields(ROOM_ID))
  const frame = Buffer.allocUnsafe(HEAD + payload.length)
  frame.write("FPNN", 0, "latin1")
  frame[4] = 1 // version
  frame[5] = 0x80 // msgpack
  frame[6] = 1 // twoway quest
  frame[7] = METHOD_BYTES.length
  frame.writeUInt32LE(payload.length, 8)
  frame.writeUInt32LE(seq, 12)
  METHOD_BYTES.copy(frame, 16)
  payload.copy(frame, HEAD)
  return frame
}

const phase = (socket, n, deadline) =>
  new Promise((resolve, reject) => {
    const starts = new Float64Array(n + 1)
    const lat = new Float64Array(n)
    let sent = 0
    let done = 0
    let stopAt = n // lowered when the time bound hits
    let pending
    const issue = (k, now) => {
      const frames = new Array(k)
      for (let i = 0; i < k; i++) {
        const seq = ++sent
        frames[i] = questFrame(seq)
        starts[seq] = now
      }
      socket.write(k === 1 ? frames[0] : Buffer.concat(frames))
    }
    const onData = (chunk) => {
      const now = performance.now()
      const buf = pending === undefined ? chunk : Buffer.concat([pending, chunk])
      pending = undefined
      let off = 0
      let got = 0
      while (buf.length - off >= 16) {
        const total = 16 + buf.readUInt32LE(off + 8)
        if (buf.length - off < total) break
        const seq = buf.readUInt32LE(off + 12)
        const answer = unpackr.unpack(buf.subarray(off + 16, off + total))
        if (buf[off + 7] !== 0 || typeof answer.count !== "number") {
          return reject(new Error(`unexpected answer ${JSON.stringify(answer)}`))
        }
        lat[done++] = (now - starts[seq]) * 1000
        got++
        off += total
      }
      if (off < buf.length) pending = Buffer.from(buf.subarray(off))
      if (stopAt === n && now > deadline) stopAt = sent
      const room = Math.min(got, stopAt - sent)
      if (room > 0) issue(room, now)
      if (done >= stopAt) {
        socket.off("data", onData)
        resolve({ lat, done })
      }
    }
    socket.on("data", onData)
    issue(Math.min(window, n), performance.now())
  })

const socket = Net.createConnection({ host: "127.0.0.1", port, noDelay: true })
socket.on("connect", async () => {
  try {
    if (warmup > 0) await phase(socket, warmup, performance.now() + maxSeconds * 1000)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const { lat, done } = await phase(socket, count, t0 + maxSeconds * 1000)
    const secs = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    socket.destroy()
    const cpuUsPerCall = (cpu.user + cpu.system) / done
    send({ calls: done, seconds: secs, perSec: done / secs, cpuUsPerCall, ...stats(lat, done) })
    process.exit(0)
  } catch (e) {
    send({ error: String(e) })
    process.exit(1)
  }
})
socket.on("error", (e) => {
  send({ error: String(e) })
  process.exit(1)
})
