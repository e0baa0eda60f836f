/**
 * The msgpack codec of FPNN payloads, on msgpackr, with the integer rules FPNN peers
 * enforce (FPNN.md §13):
 * - an integer never leaves as a float: servers answer 10010 for 42.0 in an int field;
 * - integers take the smallest form, unsigned for non-negative values (msgpack-c style,
 *   what the gateway itself emits), so `uint64` (`cf`) for 2^32 <= n < 2^64;
 * - int64 survives: `cf`/`d3` values beyond ±2^53 decode as bigint, smaller ones as number;
 * - maps use the smallest header (fixmap), keys in insertion order.
 * Registering the uint64 extension with msgpackr is this module's side effect.
 */
import { addExtension, Packr, Unpackr } from "msgpackr"
import { protocolError } from "../../Errors.js"
import { decodeFlatMap } from "./FlatDecode.js"

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

export const U32_MAX = 0xffffffff
export const I32_MIN = -0x80000000
export const U64_LIMIT = 1n << 64n
export const I64_MIN = -(1n << 63n)
// Perf: hoisted, so that normalizing a bigint does not build two bigints each time.
export const I32_MIN_N = BigInt(I32_MIN)
export const U32_MAX_N = BigInt(U32_MAX)

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
export const pack = (payload: Payload, reserve?: number): Uint8Array => {
  try {
    return packr.pack(normalize(payload), reserve)
  } catch (cause) {
    if (cause !== null && typeof cause === "object" && "_tag" in cause) throw cause
    throw protocolError("Encode", `payload cannot be encoded as msgpack: ${String(cause)}`)
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
  const flat = decodeFlatMap(bytes, start, end) // perf: see FlatDecode.ts
  if (flat !== undefined) return flat
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
