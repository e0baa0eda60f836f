// The minimal responder: a plain node:net server that answers every twoway quest with
// the pre-encoded {count: 3} answer, its seq patched in. No msgpack, no Effect: the
// server side of the "raw limit". One write per received chunk. Prints {port} when ready.
import * as Net from "node:net"
import { ANSWER_HEX, send } from "./lib.mjs"

const ANSWER = Buffer.from(ANSWER_HEX, "hex")
const A = ANSWER.length // 24

const server = Net.createServer((socket) => {
  socket.setNoDelay(true)
  let pending // bytes of an incomplete frame
  socket.on("data", (chunk) => {
    const buf = pending === undefined ? chunk : Buffer.concat([pending, chunk])
    pending = undefined
    // Each quest is at least 18 bytes; its answer is 24: this bound always fits.
    const out = Buffer.allocUnsafe(Math.ceil(buf.length / 18) * A)
    let off = 0
    let n = 0
    const len = buf.length
    while (len - off >= 12) {
      const mtype = buf[off + 6]
      const psize = buf.readUInt32LE(off + 8)
      const total = mtype === 2 ? 16 + psize : (mtype === 1 ? 16 : 12) + buf[off + 7] + psize
      if (len - off < total) break
      if (mtype === 1) {
        ANSWER.copy(out, n)
        buf.copy(out, n + 12, off + 12, off + 16)
        n += A
      }
      off += total
    }
    if (off < len) pending = Buffer.from(buf.subarray(off))
    if (n > 0) socket.write(out.subarray(0, n))
  })
  socket.on("error", () => {})
})
server.listen(0, "127.0.0.1", () => send({ port: server.address().port }))
process.on("SIGTERM", () => process.exit(0))
