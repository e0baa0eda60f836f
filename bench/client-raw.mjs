// The raw limit: a plain node:net client that keeps `window` pre-encoded quests in
// flight on one connection (seq patched in), refilling the window once per received
// chunk with one write. No msgpack, no Effect, no signing.
//   node client-raw.mjs <port> <window> <count> <maxSeconds> <warmupCount>
import * as Net from "node:net"
import { performance } from "node:perf_hooks"
import { QUEST_HEX, send, stats } from "./lib.mjs"

const [port, window, count, maxSeconds, warmup] = process.argv.slice(2).map(Number)
const QUEST = Buffer.from(QUEST_HEX, "hex")
const Q = QUEST.length

const phase = (socket, n, deadline) =>
  new Promise((resolve) => {
    const starts = new Float64Array(n + 1)
    const lat = new Float64Array(n)
    let sent = 0
    let done = 0
    let stopAt = n // lowered when the time bound hits
    let pending
    const issue = (k, now) => {
      const out = Buffer.allocUnsafe(k * Q)
      for (let i = 0; i < k; i++) {
        const seq = ++sent
        QUEST.copy(out, i * Q)
        out.writeUInt32LE(seq, i * Q + 12)
        starts[seq] = now
      }
      socket.write(out)
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
  if (warmup > 0) await phase(socket, warmup, performance.now() + maxSeconds * 1000)
  const t0 = performance.now()
  const { lat, done } = await phase(socket, count, t0 + maxSeconds * 1000)
  const secs = (performance.now() - t0) / 1000
  socket.destroy()
  send({ calls: done, seconds: secs, perSec: done / secs, ...stats(lat, done) })
  process.exit(0)
})
socket.on("error", (e) => {
  send({ error: String(e) })
  process.exit(1)
})
