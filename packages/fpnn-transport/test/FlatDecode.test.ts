import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { decodePayload, encodePayload } from "../src/Codec.js"
import { decodeFlatMap } from "../src/internal/codec/FlatDecode.js"
import { decodePayloadAt } from "../src/internal/codec/Msgpack.js"

// What msgpackr makes of `bytes`: the value, or that it fails. (Its error text may differ
// in place: reading a truncated value in place, msgpackr reads on past `end`.)
const oracle = (bytes: Uint8Array): unknown => {
  try {
    return { value: decodePayload(bytes) }
  } catch (e) {
    return { error: (e as { _tag?: string })._tag }
  }
}
const inPlace = (bytes: Uint8Array): unknown => {
  // framed as in a received chunk: bytes around the payload
  const chunk = new Uint8Array(bytes.length + 7).fill(0xc1)
  chunk.set(bytes, 3)
  try {
    return { value: decodePayloadAt(chunk, 3, 3 + bytes.length) }
  } catch (e) {
    return { error: (e as { _tag?: string })._tag }
  }
}

const key = fc.oneof(fc.constantFrom("count", "code", "ex", "__proto__", "", "k", "é"), fc.string({ maxLength: 33 }))
const scalar = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
  fc.constantFrom(0, 127, 128, -32, -33, 255, 256, 65535, 65536, -128, -129, -32768, -32769, null, true, false),
  fc.double(),
  fc.string({ maxLength: 4 }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })
)

describe("flat answer decoding", () => {
  it("decodes flat maps exactly as msgpackr does, in place and not", () => {
    fc.assert(
      fc.property(fc.dictionary(key, scalar, { maxKeys: 17 }), (payload) => {
        let bytes: Uint8Array
        try {
          bytes = encodePayload(payload)
        } catch {
          return // not encodable (an integral double beyond 64 bits): not what this tests
        }
        expect(inPlace(bytes)).toEqual(oracle(bytes))
        const flat = decodeFlatMap(bytes, 0, bytes.length)
        if (flat !== undefined) expect(flat).toEqual(decodePayload(bytes))
      }),
      { numRuns: 500 }
    )
  })

  it("takes the common answers ({count}, {}) itself, with the same keys and values", () => {
    for (const payload of [{ count: 3 }, {}, { count: 70000, ok: true, n: -5, x: null }]) {
      const bytes = encodePayload(payload)
      const flat = decodeFlatMap(bytes, 0, bytes.length)
      expect(flat).toEqual(payload)
      expect(Object.getPrototypeOf(flat)).toBe(Object.prototype)
    }
  })

  it("gives every other byte sequence (truncated, trailing, not a map) to msgpackr, errors included", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.boolean(), (tail, asMap) => {
        const bytes = asMap ? Uint8Array.of(0x80 | (tail[0]! & 0x0f), ...tail.subarray(1)) : tail
        expect(inPlace(bytes)).toEqual(oracle(bytes))
      }),
      { numRuns: 2000 }
    )
  })

  it("refuses the key msgpackr renames, and non-ASCII keys", () => {
    for (const payload of [{ __proto__x: 1 }, { ["__proto__"]: 1 }, { "é": 1 }]) {
      const bytes = encodePayload(JSON.parse(JSON.stringify(payload)))
      expect(inPlace(bytes)).toEqual(oracle(bytes))
    }
    const proto = Uint8Array.of(0x81, 0xa9, ...Buffer.from("__proto__"), 0x01)
    expect(decodeFlatMap(proto, 0, proto.length)).toBeUndefined()
    expect(inPlace(proto)).toEqual(oracle(proto))
  })
})
