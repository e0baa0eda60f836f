/**
 * A msgpack scanner that reads the raw bytes of one top-level str or bin value without
 * decoding the payload. The payload codec decodes str as UTF-8, which is lossy for binary
 * held in a str (bytes ≥ 0x80 become U+FFFD); this reads such a value from the frame itself.
 * Walks only the top-level map; nested values are skipped iteratively (no recursion).
 */

interface Header {
  /** Where the value's body starts. */
  readonly body: number
  /** The body's byte length (str, bin, ext, fixext). */
  readonly bytes: number
  /** How many values follow as children (2 per map entry). */
  readonly children: number
  /** A str or bin. */
  readonly raw: boolean
}

/** Reads value headers of `payload`; bytes past its end fail as truncated msgpack. */
const headerReader = (payload: Uint8Array, fail: (what: string) => never) => {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const truncated = (): never => fail("is truncated msgpack")
  const u8 = (at: number) => (at < payload.length ? payload[at]! : truncated())
  const u16 = (at: number) => (at + 2 <= payload.length ? view.getUint16(at) : truncated())
  const u32 = (at: number) => (at + 4 <= payload.length ? view.getUint32(at) : truncated())
  /** Header of the value at `at`: where its body starts, its byte length, and child values. */
  const header = (at: number): Header => {
    const t = u8(at)
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) {
      return { body: at + 1, bytes: 0, children: 0, raw: false }
    }
    if (t <= 0x8f) return { body: at + 1, bytes: 0, children: 2 * (t & 0x0f), raw: false }
    if (t <= 0x9f) return { body: at + 1, bytes: 0, children: t & 0x0f, raw: false }
    if (t <= 0xbf) return { body: at + 1, bytes: t & 0x1f, children: 0, raw: true }
    switch (t) {
      case 0xc4:
      case 0xd9:
        return { body: at + 2, bytes: u8(at + 1), children: 0, raw: true }
      case 0xc5:
      case 0xda:
        return { body: at + 3, bytes: u16(at + 1), children: 0, raw: true }
      case 0xc6:
      case 0xdb:
        return { body: at + 5, bytes: u32(at + 1), children: 0, raw: true }
      case 0xc7:
        return { body: at + 3, bytes: u8(at + 1), children: 0, raw: false }
      case 0xc8:
        return { body: at + 4, bytes: u16(at + 1), children: 0, raw: false }
      case 0xc9:
        return { body: at + 6, bytes: u32(at + 1), children: 0, raw: false }
      case 0xca:
      case 0xce:
      case 0xd2:
        return { body: at + 5, bytes: 0, children: 0, raw: false }
      case 0xcb:
      case 0xcf:
      case 0xd3:
        return { body: at + 9, bytes: 0, children: 0, raw: false }
      case 0xcc:
      case 0xd0:
        return { body: at + 2, bytes: 0, children: 0, raw: false }
      case 0xcd:
      case 0xd1:
        return { body: at + 3, bytes: 0, children: 0, raw: false }
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        return { body: at + 2, bytes: 1 << (t - 0xd4), children: 0, raw: false }
      case 0xdc:
        return { body: at + 3, bytes: 0, children: u16(at + 1), raw: false }
      case 0xdd:
        return { body: at + 5, bytes: 0, children: u32(at + 1), raw: false }
      case 0xde:
        return { body: at + 3, bytes: 0, children: 2 * u16(at + 1), raw: false }
      case 0xdf:
        return { body: at + 5, bytes: 0, children: 2 * u32(at + 1), raw: false }
      default:
        return fail(`has the reserved msgpack byte 0x${t.toString(16)}`)
    }
  }
  return { header, truncated }
}

/**
 * The raw bytes of the str or bin value of `key` in the top-level map of `payload`;
 * `undefined` when the payload is not a map, the key is absent, or its value is of another
 * type. Malformed msgpack calls `fail` with what is wrong ("is truncated msgpack", …).
 */
export const rawMapValue = (
  payload: Uint8Array,
  key: string,
  fail: (what: string) => never
): Uint8Array | undefined => {
  const { header, truncated } = headerReader(payload, fail)
  /** The end of the value at `at`, children included. */
  const skip = (at: number): number => {
    let pos = at
    for (let remaining = 1; remaining > 0; remaining--) {
      const h = header(pos)
      pos = h.body + h.bytes
      remaining += h.children
    }
    return pos > payload.length ? truncated() : pos
  }
  const root = header(0)
  const isMap = (payload[0]! & 0xf0) === 0x80 || payload[0] === 0xde || payload[0] === 0xdf
  if (!isMap) return undefined
  let pos = root.body
  for (let entry = 0; entry < root.children / 2; entry++) {
    const name = header(pos)
    const keyEnd = skip(pos)
    const isName = name.raw && Buffer.from(payload.subarray(name.body, keyEnd)).toString("latin1") === key
    const value = header(keyEnd)
    const valueEnd = skip(keyEnd)
    if (isName && value.raw) return payload.slice(value.body, valueEnd)
    pos = valueEnd
  }
  return undefined
}
