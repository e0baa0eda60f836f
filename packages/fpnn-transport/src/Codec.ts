/**
 * The msgpack codec of FPNN payloads, on msgpackr, with the integer rules FPNN peers
 * enforce (FPNN.md §13):
 * - an integer never leaves as a float: servers answer 10010 for 42.0 in an int field;
 * - integers take the smallest form, unsigned for non-negative values (msgpack-c style,
 *   what the gateway itself emits), so `uint64` (`cf`) for 2^32 <= n < 2^64;
 * - int64 survives: `cf`/`d3` values beyond ±2^53 decode as bigint, smaller ones as number;
 * - maps use the smallest header (fixmap), keys in insertion order.
 */
import { addExtension, Packr, RESERVE_START_SPACE, Unpackr } from "msgpackr"
import { type FpnnProtocolError, protocolError } from "./Errors.js"
import { encodeQuest, FLAG_MSGPACK, HEADER_BYTES, methodBytes, writeQuestHead } from "./Frame.js"

/** A decoded FPNN payload: the root is always a map with string keys. */
export type Payload = { readonly [key: string]: unknown }

/**
 * A non-negative integer in [2^32, 2^64). msgpackr writes a bigint in this range as
 * int64 (`d3`) and an integer number as float64; this wrapper lets the extension hook
 * below write the `cf` form directly into msgpackr's buffer.
 */
class Uint64 {
  constructor(readonly value: bigint) {}
}

// The hook writes raw bytes and returns nothing, so msgpackr adds no extension header.
// The type code is only consulted when *decoding* an ext of that type, which FPNN
// payloads never contain; the unpack side rejects it loudly rather than guessing.
addExtension({
  Class: Uint64,
  type: 0x7e,
  pack(instance: Uint64, allocate: (size: number) => { target: Uint8Array; targetView: DataView; position: number }) {
    const { targetView, position } = allocate(9)
    targetView.setUint8(position, 0xcf)
    targetView.setBigUint64(position + 1, instance.value)
  },
  unpack() {
    throw new Error("msgpack extension type 0x7e is not part of FPNN payloads")
  }
} as never)

const packr = new Packr({ useRecords: false, variableMapSize: true, useFloat32: 0 })
// "auto": int64/uint64 values within ±2^53 decode as number, beyond as bigint (exact).
// The option exists at runtime but is missing from msgpackr's type declarations.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: "auto" as "bigint" })

const U32_MAX = 0xffffffff
const I32_MIN = -0x80000000
const U64_LIMIT = 1n << 64n
const I64_MIN = -(1n << 63n)
// Perf: hoisted, so that normalizing a bigint does not build two bigints each time.
const I32_MIN_N = BigInt(I32_MIN)
const U32_MAX_N = BigInt(U32_MAX)

const normalizeBigInt = (v: bigint): unknown => {
  if (v >= I32_MIN_N && v <= U32_MAX_N) return Number(v)
  if (v > 0n) {
    if (v >= U64_LIMIT) throw protocolError("Encode", `integer ${v} does not fit in 64 bits`)
    return new Uint64(v)
  }
  if (v < I64_MIN) throw protocolError("Encode", `integer ${v} does not fit in 64 bits`)
  return v // msgpackr writes int64 (d3), the smallest form below -2^31
}

/**
 * Rewrites the values msgpackr would encode in a form FPNN peers reject; returns the
 * input itself when nothing needs to change (the common case for small payloads).
 * Keys whose value is `undefined` are dropped: an absent optional field.
 */
const normalize = (value: unknown): unknown => {
  switch (typeof value) {
    case "number":
      if ((value > U32_MAX || value < I32_MIN) && Number.isInteger(value)) return normalizeBigInt(BigInt(value))
      return value
    case "bigint":
      return normalizeBigInt(value)
    case "object": {
      if (value === null || value instanceof Uint8Array) return value
      if (Array.isArray(value)) {
        let out: Array<unknown> | undefined
        for (let i = 0; i < value.length; i++) {
          const v = value[i]
          const n = normalize(v)
          if (n !== v && out === undefined) out = value.slice(0, i)
          if (out !== undefined) out.push(n)
        }
        return out ?? value
      }
      if (value instanceof Map) {
        const out: Record<string, unknown> = {}
        for (const [k, v] of value) if (v !== undefined) out[String(k)] = normalize(v)
        return out
      }
      let out: Record<string, unknown> | undefined
      const record = value as Record<string, unknown>
      for (const key in record) {
        const v = record[key]
        const n = v === undefined ? undefined : normalize(v)
        if (n !== v || v === undefined) {
          if (out === undefined) {
            out = {}
            for (const k in record) {
              if (k === key) break
              out[k] = record[k]
            }
          }
        }
        if (out !== undefined && n !== undefined) out[key] = n
      }
      return out ?? value
    }
    default:
      return value
  }
}

/**
 * Encodes a payload map to msgpack. Fails with an `Encode` protocol error for values
 * FPNN cannot carry (integers beyond 64 bits, functions, symbols).
 */
export const encodePayload = (payload: Payload): Uint8Array => pack(payload)

/** msgpackr on the normalized payload; its own errors become `Encode` protocol errors. */
const pack = (payload: Payload, reserve?: number): Uint8Array => {
  try {
    return packr.pack(normalize(payload), reserve)
  } catch (cause) {
    if (cause !== null && typeof cause === "object" && "_tag" in cause) throw cause
    throw protocolError("Encode", `payload cannot be encoded as msgpack: ${String(cause)}`)
  }
}

// ---- The quest hot path: flat payload maps written directly.
//
// Every RTM quest is a flat map of integers, bigints, strings, booleans and integer
// lists ({pid, sign, salt, ts, rid, toUids}). msgpackr can only write the salt (an int64
// beyond 2^32) in FPNN's unsigned form through the Uint64 wrapper above, which costs a
// copy of the payload and msgpackr's extension dispatch per quest. This writer emits the
// same bytes as `encodePayload` (a property test holds them equal) for such maps, into
// a shared slab; anything else (nested maps, bytes, >15 keys, large values) goes to
// msgpackr.

const SLAB_BYTES = 64 * 1024
const FLAT_LIMIT = 4096
let slab = Buffer.allocUnsafe(SLAB_BYTES)
let slabAt = 0

const U64_MAX = (1n << 64n) - 1n
const I64_MIN_B = -(1n << 63n)

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

const writeBig = (b: Buffer, at: number, v: bigint): number => {
  if (v >= I32_MIN_N && v <= U32_MAX_N) return writeInt(b, at, Number(v))
  if (v > 0n) {
    if (v > U64_MAX) return -1
    b[at] = 0xcf
    b.writeBigUInt64BE(v, at + 1)
    return at + 9
  }
  if (v < I64_MIN_B) return -1
  b[at] = 0xd3
  b.writeBigInt64BE(v, at + 1)
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

/** The flat-map fast path; undefined when the payload is not of that shape. */
const flatQuestFrame = (name: Uint8Array, seq: number | undefined, payload: Payload): Uint8Array | undefined => {
  if (SLAB_BYTES - slabAt < FLAT_LIMIT) {
    slab = Buffer.allocUnsafe(SLAB_BYTES)
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
    if (++count === 16 || p + 9 > limit) return undefined
    p = writeStr(b, p, key, limit)
    if (p < 0 || p + 9 > limit) return undefined
    p = writeValue(b, p, v, limit, false)
    if (p < 0) return undefined
  }
  b[mapAt] = 0x80 | count
  slabAt = p
  const frame = b.subarray(start, p)
  writeQuestHead(frame, name, seq, p - mapAt, FLAG_MSGPACK)
  return frame
}

/**
 * A whole msgpack quest frame: `encodeQuest(method, seq, encodePayload(payload))` in one
 * buffer — written directly for flat maps (above), else by msgpackr behind a reserved
 * head (RESERVE_START_SPACE), so there is no second buffer and no copy either way.
 * msgpackr never reuses the bytes of a returned result (only RESET_BUFFER_MODE would).
 */
export const encodeQuestFrame = (method: string, seq: number | undefined, payload: Payload): Uint8Array => {
  const name = methodBytes(method)
  const head = HEADER_BYTES + (seq === undefined ? 0 : 4) + name.length
  const flat = flatQuestFrame(name, seq, payload)
  if (flat !== undefined) return flat
  if (head > 0xff) return encodeQuest(method, seq, encodePayload(payload)) // the reserve is one byte wide
  const frame = pack(payload, RESERVE_START_SPACE | head)
  writeQuestHead(frame, name, seq, frame.length - head, FLAG_MSGPACK)
  return frame
}

/** Like `encodePayload`, returning the error instead of throwing. */
export const encodePayloadResult = (payload: Payload): Uint8Array | FpnnProtocolError => {
  try {
    return encodePayload(payload)
  } catch (e) {
    return e as FpnnProtocolError
  }
}

/** Decodes a msgpack payload; the root must be a map (FPNN.md §3.7). */
export const decodePayload = (bytes: Uint8Array): Payload => {
  let value: unknown
  try {
    value = unpackr.unpack(bytes)
  } catch (cause) {
    throw protocolError("BadPayload", `payload is not valid msgpack: ${String(cause)}`)
  }
  // msgpackr yields plain objects for maps; anything else (array, bytes, its marker
  // object for the reserved byte 0xc1) is not a map.
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) {
    throw protocolError("BadPayload", "payload root is not a map")
  }
  return value as Payload
}

// Reused range argument of `unpack` (read synchronously; never re-entered here).
const range = { start: 0, end: 0 }

/**
 * `decodePayload(bytes.subarray(start, end))` without the view. Perf: msgpackr caches a
 * DataView on the buffer it reads, so a fresh view per answer cost a view plus a DataView;
 * decoding in place reuses the received chunk's.
 */
export const decodePayloadAt = (bytes: Uint8Array, start: number, end: number): Payload => {
  if (start >= end) return decodePayload(bytes.subarray(start, end)) // empty: the usual error
  let value: unknown
  range.start = start
  range.end = end
  try {
    value = unpackr.unpack(bytes, range)
  } catch (cause) {
    throw protocolError("BadPayload", `payload is not valid msgpack: ${String(cause)}`)
  }
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) {
    throw protocolError("BadPayload", "payload root is not a map")
  }
  return value as Payload
}

// ---- JSON payloads (flag 0x40). RTM never uses them; the server answers them in kind.

/** JSON text in which bigints are plain integer literals (exact, never rounded or quoted). */
export const exactJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `\u0000${v}\u0000` : v)).replace(
    /"\\u0000(-?\d+)\\u0000"/g,
    "$1"
  )

/** A JSON payload, bigints exact. */
export const encodeJsonPayload = (payload: Payload): Uint8Array => Buffer.from(exactJson(payload), "utf8")

/** Parses a JSON payload; integers beyond 2^53 lose precision (JSON.parse). */
export const decodeJsonPayload = (bytes: Uint8Array): Payload => {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"))
  } catch (cause) {
    throw protocolError("BadPayload", `payload is not valid JSON: ${String(cause)}`)
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw protocolError("BadPayload", "payload root is not a map")
  }
  return value as Payload
}
