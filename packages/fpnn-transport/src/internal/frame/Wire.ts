/**
 * The bytes of an FPNN frame header (FPNN.md §2): its constants, and the writers and
 * readers the codec and the connection use on the hot path.
 */
import { protocolError } from "../../Errors.js"

export const HEADER_BYTES = 12
export const MAGIC = 0x4e4e5046 // "FPNN" read as u32 LE
export const VERSION = 1
export const FLAG_MSGPACK = 0x80
export const FLAG_JSON = 0x40
export const MTYPE_ONEWAY = 0
export const MTYPE_TWOWAY = 1
export const MTYPE_ANSWER = 2
/** The C++ framework's `FPNN.global.max.package.len` default: 8 MiB per frame. */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024

const methodCache = new Map<string, Buffer>()
/** A method name's bytes (cached), or a protocol error thrown for an empty or >255-byte name. */
export const methodBytes = (method: string): Buffer => {
  let bytes = methodCache.get(method)
  if (bytes === undefined) {
    bytes = Buffer.from(method, "utf8")
    if (bytes.length === 0 || bytes.length > 255) {
      throw protocolError(
        "EmptyMethod",
        `method name must be 1-255 bytes, got ${bytes.length}: ${JSON.stringify(method)}`
      )
    }
    if (methodCache.size < 1024) methodCache.set(method, bytes)
  }
  return bytes
}

/**
 * Writes a quest's header, seq and method name at offset `at` of `frame`, whose payload of
 * `payloadLength` bytes follows them. Perf: lets the codec encode the payload in place
 * behind a reserved head (`encodeQuestFrame` in QuestWriter.ts) — one buffer, no copy.
 */
export const writeQuestHead = (
  frame: Uint8Array,
  name: Uint8Array,
  seq: number | undefined,
  payloadLength: number,
  flag: number = FLAG_MSGPACK,
  at: number = 0
): void => {
  frame[at] = 0x46 // "FPNN"
  frame[at + 1] = 0x50
  frame[at + 2] = 0x4e
  frame[at + 3] = 0x4e
  frame[at + 4] = VERSION
  frame[at + 5] = flag
  frame[at + 6] = seq === undefined ? MTYPE_ONEWAY : MTYPE_TWOWAY
  frame[at + 7] = name.length
  frame[at + 8] = payloadLength & 0xff
  frame[at + 9] = (payloadLength >>> 8) & 0xff
  frame[at + 10] = (payloadLength >>> 16) & 0xff
  frame[at + 11] = payloadLength >>> 24
  let nameAt = at + HEADER_BYTES
  if (seq !== undefined) {
    frame[at + 12] = seq & 0xff
    frame[at + 13] = (seq >>> 8) & 0xff
    frame[at + 14] = (seq >>> 16) & 0xff
    frame[at + 15] = seq >>> 24
    nameAt += 4
  }
  frame.set(name, nameAt)
}

/** A u32 little-endian at `at` (header psize, seq). */
export const readU32LE = (b: Uint8Array, at: number): number =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0

/**
 * The frames of a batch, with every run of frames that lie back to back in one ArrayBuffer
 * joined into one view (no copy). Perf: quests are written into a shared slab and small
 * answers come from Node's buffer pool, so most of a batch is one run, and the socket gets
 * one buffer instead of a writev of many.
 */
export const joinAdjacent = (frames: ReadonlyArray<Uint8Array>): ReadonlyArray<Uint8Array> => {
  if (frames.length < 2) return frames
  let out: Array<Uint8Array> | undefined
  let first = frames[0]!
  let end = first.byteOffset + first.length
  let runStart = 0
  for (let i = 1; i <= frames.length; i++) {
    const f = frames[i]
    if (f !== undefined && f.buffer === first.buffer && f.byteOffset === end) {
      end += f.length
      continue
    }
    // frames[runStart, i) is one run
    if (out === undefined) {
      if (f === undefined && runStart === 0) {
        return [new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset)]
      }
      out = []
    }
    out.push(i - runStart === 1 ? first : new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset))
    if (f === undefined) break
    first = f
    end = f.byteOffset + f.length
    runStart = i
  }
  return out!
}
