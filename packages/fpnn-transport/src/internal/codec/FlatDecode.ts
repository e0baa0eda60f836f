/**
 * The answer hot path: flat maps of ASCII keys and small scalar values decoded directly.
 *
 * Most answers are a map of a few integer fields ({count}, {} for a plain ok). msgpackr's
 * per-call setup and generic read cost ~5% of a call on the 1024-in-flight profile
 * (BENCHMARKS.md); this reader does the same for that shape, in one pass with no allocation beyond the
 * result. It yields exactly what msgpackr (`mapsAsObjects`) yields, and gives up
 * (`undefined`, and the caller decodes with msgpackr) on anything else: another root,
 * a non-ASCII or `__proto__` key, strings, floats, int64, nested values, truncated or
 * trailing bytes — so every error stays msgpackr's.
 */

// Keys seen before, by a hash of their bytes: a hit costs a byte compare and no string.
const KEY_SLOTS = 256
const keyCache: Array<string | undefined> = new Array(KEY_SLOTS).fill(undefined)

/** The ASCII key `b[at, at + n)`, or undefined when a byte is not ASCII. */
const keyAt = (b: Uint8Array, at: number, n: number): string | undefined => {
  let h = n
  for (let i = 0; i < n; i++) h = (h * 31 + b[at + i]!) | 0
  const slot = h & (KEY_SLOTS - 1)
  const cached = keyCache[slot]
  if (cached !== undefined && cached.length === n) {
    let i = 0
    while (i < n && cached.charCodeAt(i) === b[at + i]) i++
    if (i === n) return cached
  }
  let key = ""
  for (let i = 0; i < n; i++) {
    const c = b[at + i]!
    if (c >= 0x80) return undefined
    key += String.fromCharCode(c)
  }
  keyCache[slot] = key
  return key
}

// Sentinel: the value at the cursor is outside the flat shape.
const NOT_FLAT = Symbol()
let cursor = 0

/** The scalar at `cursor` (advanced past it), or NOT_FLAT. */
const scalarAt = (b: Uint8Array, end: number): unknown => {
  const at = cursor
  if (at >= end) return NOT_FLAT
  const t = b[at]!
  cursor = at + 1
  if (t < 0x80) return t
  if (t >= 0xe0) return t - 0x100
  switch (t) {
    case 0xc0:
      return null
    case 0xc2:
      return false
    case 0xc3:
      return true
    case 0xcc:
      cursor = at + 2
      return cursor <= end ? b[at + 1]! : NOT_FLAT
    case 0xcd:
      cursor = at + 3
      return cursor <= end ? (b[at + 1]! << 8) | b[at + 2]! : NOT_FLAT
    case 0xce:
      cursor = at + 5
      return cursor <= end ? b[at + 1]! * 0x1000000 + ((b[at + 2]! << 16) | (b[at + 3]! << 8) | b[at + 4]!) : NOT_FLAT
    case 0xd0:
      cursor = at + 2
      return cursor <= end ? (b[at + 1]! << 24) >> 24 : NOT_FLAT
    case 0xd1:
      cursor = at + 3
      return cursor <= end ? (((b[at + 1]! << 8) | b[at + 2]!) << 16) >> 16 : NOT_FLAT
    case 0xd2:
      cursor = at + 5
      return cursor <= end ? (b[at + 1]! << 24) | (b[at + 2]! << 16) | (b[at + 3]! << 8) | b[at + 4]! : NOT_FLAT
    default:
      return NOT_FLAT
  }
}

/** The flat map `b[start, end)`, or undefined when it is not one (see above). */
export const decodeFlatMap = (b: Uint8Array, start: number, end: number): Record<string, unknown> | undefined => {
  if (start >= end) return undefined
  const t = b[start]!
  if (t < 0x80 || t > 0x8f) return undefined
  const out: Record<string, unknown> = {}
  let at = start + 1
  for (let i = t & 0x0f; i > 0; i--) {
    if (at >= end) return undefined
    const k = b[at]!
    const n = k & 0x1f
    if (k < 0xa0 || k > 0xbf || at + 1 + n > end) return undefined
    const key = keyAt(b, at + 1, n)
    if (key === undefined || key === "__proto__") return undefined
    cursor = at + 1 + n
    const value = scalarAt(b, end)
    if (value === NOT_FLAT) return undefined
    out[key] = value
    at = cursor
  }
  return at === end ? out : undefined
}
