/**
 * The quest hot path: flat payload maps written directly.
 *
 * Every RTM quest is a flat map of integers, bigints, strings, booleans and integer
 * lists ({pid, sign, salt, ts, rid, toUids}). msgpackr can only write the salt (an int64
 * beyond 2^32) in FPNN's unsigned form through its Uint64 wrapper, which costs a copy of
 * the payload and msgpackr's extension dispatch per quest. This writer emits the same
 * bytes as `encodePayload` (a property test holds them equal) for such maps, into a
 * shared slab; anything else (nested maps, bytes, >15 keys, large values) goes to msgpackr.
 */
import { RESERVE_START_SPACE } from "msgpackr"
import { encodeQuest } from "../../Frame.js"
import { FLAG_MSGPACK, HEADER_BYTES, methodBytes, writeQuestHead } from "../frame/Wire.js"
import { encodePayload, I32_MIN, I32_MIN_N, I64_MIN, pack, type Payload, U32_MAX, U32_MAX_N } from "./Msgpack.js"

const SLAB_BYTES = 64 * 1024
const FLAT_LIMIT = 4096
let slab = Buffer.allocUnsafe(SLAB_BYTES)
// Perf: int64s (every quest's salt) go through a DataView of the slab — Buffer's
// writeBigUInt64BE allocates a few bigints per value (5% of the bytes allocated per call
// on the 1024-in-flight allocation profile, BENCHMARKS.md); setBigUint64 allocates none.
let slabView = new DataView(slab.buffer, slab.byteOffset, slab.length)
let slabAt = 0

const U64_MAX = (1n << 64n) - 1n

/** Writes one integer in msgpackr's (normalized) form; returns the new position, or -1. */
const writeInt = (b: Buffer, at: number, v: number): number => {
  if (v >= 0) {
    if (v < 0x80) {
      b[at] = v
      return at + 1
    }
    if (v < 0x100) {
      b[at] = 0xcc
      b[at + 1] = v
      return at + 2
    }
    if (v < 0x10000) {
      b[at] = 0xcd
      b.writeUInt16BE(v, at + 1)
      return at + 3
    }
    if (v <= U32_MAX) {
      b[at] = 0xce
      b.writeUInt32BE(v, at + 1)
      return at + 5
    }
    return writeBig(b, at, BigInt(v))
  }
  if (v >= -0x20) {
    b[at] = 0x100 + v
    return at + 1
  }
  if (v >= -0x80) {
    b[at] = 0xd0
    b.writeInt8(v, at + 1)
    return at + 2
  }
  if (v >= -0x8000) {
    b[at] = 0xd1
    b.writeInt16BE(v, at + 1)
    return at + 3
  }
  if (v >= I32_MIN) {
    b[at] = 0xd2
    b.writeInt32BE(v, at + 1)
    return at + 5
  }
  return writeBig(b, at, BigInt(v))
}

// `b` is the slab (the only buffer this writer writes to): `slabView` views it.
const writeBig = (b: Buffer, at: number, v: bigint): number => {
  if (v >= I32_MIN_N && v <= U32_MAX_N) return writeInt(b, at, Number(v))
  if (v > 0n) {
    if (v > U64_MAX) return -1
    b[at] = 0xcf
    slabView.setBigUint64(at + 1, v)
    return at + 9
  }
  if (v < I64_MIN) return -1
  b[at] = 0xd3
  slabView.setBigInt64(at + 1, v)
  return at + 9
}

const writeStr = (b: Buffer, at: number, s: string, limit: number): number => {
  const n = s.length
  if (at + 5 + n * 3 > limit) return -1
  // ASCII (every key, the sign): one byte per char, written here; a call into Node's
  // UTF-8 encoder costs more than these few bytes.
  if (n < 0x100) {
    const p = at + (n < 0x20 ? 1 : 2)
    let i = 0
    for (; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) break
      b[p + i] = c
    }
    if (i === n) {
      if (n < 0x20) b[at] = 0xa0 | n
      else {
        b[at] = 0xd9
        b[at + 1] = n
      }
      return p + n
    }
  }
  const len = Buffer.byteLength(s, "utf8")
  let p = at
  if (len < 0x20) b[p++] = 0xa0 | len
  else if (len < 0x100) {
    b[p++] = 0xd9
    b[p++] = len
  } else if (len < 0x10000) {
    b[p++] = 0xda
    b.writeUInt16BE(len, p)
    p += 2
  } else return -1
  return p + b.write(s, p, len, "utf8")
}

const writeValue = (b: Buffer, at: number, v: unknown, limit: number, nested: boolean): number => {
  switch (typeof v) {
    case "number":
      if (Number.isInteger(v)) return writeInt(b, at, v)
      b[at] = 0xcb
      b.writeDoubleBE(v, at + 1)
      return at + 9
    case "bigint":
      return writeBig(b, at, v)
    case "string":
      return writeStr(b, at, v, limit)
    case "boolean":
      b[at] = v ? 0xc3 : 0xc2
      return at + 1
    case "object": {
      if (v === null) {
        b[at] = 0xc0
        return at + 1
      }
      if (nested || !Array.isArray(v) || v.length >= 16) return -1
      b[at] = 0x90 | v.length
      let p = at + 1
      for (let i = 0; i < v.length && p >= 0; i++) {
        if (p + 9 > limit) return -1
        p = writeValue(b, p, v[i], limit, true)
      }
      return p
    }
    default:
      return -1
  }
}

/** The flat-map fast path: the frame's start in the slab, or -1 when the payload is not of that shape. */
const flatQuestAt = (name: Uint8Array, seq: number | undefined, payload: Payload): number => {
  if (SLAB_BYTES - slabAt < FLAT_LIMIT) {
    slab = Buffer.allocUnsafe(SLAB_BYTES)
    slabView = new DataView(slab.buffer, slab.byteOffset, slab.length)
    slabAt = 0
  }
  const b = slab
  const start = slabAt
  const limit = start + FLAT_LIMIT
  const head = HEADER_BYTES + (seq === undefined ? 0 : 4) + name.length
  const mapAt = start + head
  let p = mapAt + 1
  let count = 0
  for (const key in payload) {
    const v = payload[key]
    if (v === undefined) continue // an absent optional field, as encodePayload drops it
    if (++count === 16 || p + 9 > limit) return -1
    p = writeStr(b, p, key, limit)
    if (p < 0 || p + 9 > limit) return -1
    p = writeValue(b, p, v, limit, false)
    if (p < 0) return -1
  }
  b[mapAt] = 0x80 | count
  slabAt = p
  writeQuestHead(b, name, seq, p - mapAt, FLAG_MSGPACK, start)
  return start
}

/**
 * Where `writeQuest` put its frame: `bytes[start, start + length)`, `bytes` being the
 * shared slab (flat maps; consecutive quests lie back to back in it) or a buffer of the
 * frame alone. Overwritten by the next quest: read it at once.
 */
export const written: { bytes: Uint8Array; start: number } = { bytes: slab, start: 0 }

/**
 * Writes a whole msgpack quest frame (see `encodeQuestFrame`) and returns its length; the
 * bytes are in `written`. Perf: no view per quest — the outbox takes the quests of a turn
 * as one run of the slab (Outbox.ts).
 */
export const writeQuest = (method: string, seq: number | undefined, payload: Payload): number => {
  const name = methodBytes(method)
  const start = flatQuestAt(name, seq, payload)
  if (start >= 0) {
    written.bytes = slab
    written.start = start
    return slabAt - start
  }
  const head = HEADER_BYTES + (seq === undefined ? 0 : 4) + name.length
  let frame: Uint8Array
  if (head > 0xff) frame = encodeQuest(method, seq, encodePayload(payload)) // the reserve is one byte wide
  else {
    frame = pack(payload, RESERVE_START_SPACE | head)
    writeQuestHead(frame, name, seq, frame.length - head, FLAG_MSGPACK)
  }
  written.bytes = frame
  written.start = 0
  return frame.length
}

/**
 * A whole msgpack quest frame: `encodeQuest(method, seq, encodePayload(payload))` in one
 * buffer — written directly for flat maps (above), else by msgpackr behind a reserved
 * head (RESERVE_START_SPACE), so there is no second buffer and no copy either way.
 * msgpackr never reuses the bytes of a returned result (only RESET_BUFFER_MODE would).
 */
export const encodeQuestFrame = (method: string, seq: number | undefined, payload: Payload): Uint8Array => {
  const length = writeQuest(method, seq, payload)
  const { bytes, start } = written
  return start === 0 && length === bytes.length ? bytes : bytes.subarray(start, start + length)
}
