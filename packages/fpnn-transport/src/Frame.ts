/**
 * FPNN framing (FPNN.md §2-3): where bytes become frames and frames become bytes.
 *
 *   header (12 bytes, little-endian): "FPNN" | version | flag | mtype | ss | psize:u32
 *   oneway quest: header | method (ss bytes) | payload
 *   twoway quest: header | seq:u32 | method (ss bytes) | payload
 *   answer:       header | seq:u32 | payload           (ss = status, non-zero = error)
 */
import { type FpnnProtocolError, protocolError } from "./Errors.js"
import {
  DEFAULT_MAX_FRAME_BYTES,
  FLAG_JSON,
  FLAG_MSGPACK,
  HEADER_BYTES,
  MAGIC,
  methodBytes,
  MTYPE_ANSWER,
  MTYPE_ONEWAY,
  MTYPE_TWOWAY,
  readU32LE,
  VERSION
} from "./internal/frame/Wire.js"

export {
  DEFAULT_MAX_FRAME_BYTES,
  FLAG_JSON,
  FLAG_MSGPACK,
  HEADER_BYTES,
  MTYPE_ANSWER,
  MTYPE_ONEWAY,
  MTYPE_TWOWAY
} from "./internal/frame/Wire.js"

export interface Quest {
  readonly _tag: "Quest"
  readonly twoway: boolean
  /** 0 for oneway quests, which carry no sequence number. */
  readonly seq: number
  readonly method: string
  readonly flag: number
  readonly version: number
  readonly payload: Uint8Array
}

export interface Answer {
  readonly _tag: "Answer"
  readonly seq: number
  /** 0 = OK; any other value is an error answer (FPNN.md §3.4). */
  readonly status: number
  readonly flag: number
  readonly version: number
  readonly payload: Uint8Array
}

export type Frame = Quest | Answer

/** A quest frame; `seq` undefined makes it oneway (no sequence-number field). */
export const encodeQuest = (
  method: string,
  seq: number | undefined,
  payload: Uint8Array,
  flag: number = FLAG_MSGPACK
): Uint8Array => {
  const name = methodBytes(method)
  const seqBytes = seq === undefined ? 0 : 4
  const frame = Buffer.allocUnsafe(HEADER_BYTES + seqBytes + name.length + payload.length)
  frame.writeUInt32LE(MAGIC, 0)
  frame[4] = VERSION
  frame[5] = flag
  frame[6] = seq === undefined ? MTYPE_ONEWAY : MTYPE_TWOWAY
  frame[7] = name.length
  frame.writeUInt32LE(payload.length, 8)
  if (seq !== undefined) frame.writeUInt32LE(seq, 12)
  name.copy(frame, HEADER_BYTES + seqBytes)
  frame.set(payload, HEADER_BYTES + seqBytes + name.length)
  return frame
}

/** An answer frame. Non-zero statuses are written as 1, like every reference peer. */
export const encodeAnswer = (
  seq: number,
  status: number,
  payload: Uint8Array,
  flag: number = FLAG_MSGPACK,
  version: number = VERSION
): Uint8Array => {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + 4 + payload.length)
  frame.writeUInt32LE(MAGIC, 0)
  frame[4] = version
  frame[5] = flag
  frame[6] = MTYPE_ANSWER
  frame[7] = status === 0 ? 0 : 1
  frame.writeUInt32LE(payload.length, 8)
  frame.writeUInt32LE(seq, 12)
  frame.set(payload, 16)
  return frame
}

export interface FrameReaderOptions {
  /** Largest accepted frame (header + seq + method + payload). Default 8 MiB. */
  readonly maxFrameBytes?: number | undefined
}

/**
 * Validates a 12-byte header at `at` and returns the whole frame's length, or a
 * protocol error. Accepted, as the C++ server does: versions 0 and 1 (the Node client's
 * rule; FPNN never defined another), flag 0x80 or 0x40 with the unused ZIP/ENCRYPT bits
 * 0x20/0x10 ignored.
 */
export const frameLength = (b: Uint8Array, at: number, maxFrameBytes: number): number | FpnnProtocolError => {
  if (readU32LE(b, at) !== MAGIC) {
    return protocolError("BadMagic", `expected "FPNN", got ${Buffer.from(b.subarray(at, at + 4)).toString("hex")}`)
  }
  const version = b[at + 4]!
  if (version > VERSION) return protocolError("UnsupportedVersion", `version ${version} (supported: 0, 1)`)
  const flag = b[at + 5]! & 0xcf
  if (flag !== FLAG_MSGPACK && flag !== FLAG_JSON) {
    return protocolError("UnsupportedFlag", `flag 0x${b[at + 5]!.toString(16)} (expected 0x80 msgpack or 0x40 json)`)
  }
  const mtype = b[at + 6]!
  const ss = b[at + 7]!
  const psize = readU32LE(b, at + 8)
  let total: number
  if (mtype === MTYPE_ANSWER) total = HEADER_BYTES + 4 + psize
  else if (mtype === MTYPE_TWOWAY || mtype === MTYPE_ONEWAY) {
    if (ss === 0) return protocolError("EmptyMethod", "quest with an empty method name")
    total = HEADER_BYTES + (mtype === MTYPE_TWOWAY ? 4 : 0) + ss + psize
  } else return protocolError("UnsupportedType", `message type ${mtype} (expected 0, 1 or 2)`)
  if (total > maxFrameBytes) {
    return protocolError("Oversized", `frame of ${total} bytes exceeds the limit of ${maxFrameBytes} bytes`)
  }
  return total
}

/** Decodes one whole, validated frame; the payload is a view into `b` (no copy). */
export const decodeFrame = (b: Uint8Array, at: number, total: number): Frame => {
  const version = b[at + 4]!
  const flag = b[at + 5]!
  const mtype = b[at + 6]!
  const ss = b[at + 7]!
  if (mtype === MTYPE_ANSWER) {
    return {
      _tag: "Answer",
      seq: readU32LE(b, at + 12),
      status: ss,
      flag,
      version,
      payload: b.subarray(at + 16, at + total)
    }
  }
  const twoway = mtype === MTYPE_TWOWAY
  const nameAt = at + HEADER_BYTES + (twoway ? 4 : 0)
  return {
    _tag: "Quest",
    twoway,
    seq: twoway ? readU32LE(b, at + 12) : 0,
    method: Buffer.from(b.buffer, b.byteOffset + nameAt, ss).toString("latin1"),
    flag,
    version,
    payload: b.subarray(nameAt + ss, at + total)
  }
}

const INITIAL_PARTIAL_BYTES = 64 * 1024
const initialCapacity = (total: number, have: number): number => Math.min(total, Math.max(have, INITIAL_PARTIAL_BYTES))

/**
 * Incremental frame reader: feed it the byte stream in any chunking (one byte at a
 * time, many frames per chunk); it calls `onFrame` for each whole frame, in order.
 * Whole frames inside a chunk are decoded in place; a frame split across chunks is
 * gathered in a buffer that grows with the bytes received (64 KiB, then doubling, up to
 * the announced size), so an announced size costs nothing until it is sent. After a
 * protocol error the stream has
 * no trustworthy frame boundary left: `push` keeps returning that error.
 */
export class FrameReader {
  private readonly maxFrameBytes: number
  private partial: Uint8Array | undefined
  private filled = 0
  private need = 0
  private failed: FpnnProtocolError | undefined
  /**
   * Bytes that followed the frame for which `onFrame` returned `true`: the reader stops
   * there so that the caller can switch the rest of the stream to decryption (the FPNN
   * `*key` handshake switches mid-chunk).
   */
  rest: Uint8Array | undefined

  constructor(options?: FrameReaderOptions) {
    this.maxFrameBytes = options?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.partial === undefined ? 0 : this.filled
  }

  /** Bytes allocated for the incomplete frame (grows with what arrives, not what is announced). */
  get reserved(): number {
    return this.partial?.length ?? 0
  }

  /**
   * With `onAnswer`, answers skip `decodeFrame`: the callback gets the whole frame in
   * place as (bytes, offset, length) — perf: no Answer object and no payload view per
   * answer (a fresh view also costs msgpackr a DataView). Quests still go to `onFrame`.
   */
  push(
    chunk: Uint8Array,
    onFrame: (frame: Frame) => boolean | void,
    onAnswer?: (bytes: Uint8Array, at: number, total: number) => boolean | void
  ): FpnnProtocolError | undefined {
    if (this.failed !== undefined) return this.failed
    this.rest = undefined
    let off = 0
    const len = chunk.length
    while (this.partial !== undefined) {
      const take = Math.min(this.need - this.filled, len - off)
      const partial = this.filled + take > this.partial.length ? this.grow(this.filled + take) : this.partial
      partial.set(chunk.subarray(off, off + take), this.filled)
      this.filled += take
      off += take
      if (this.filled < this.need) return undefined
      if (this.need === HEADER_BYTES) {
        const total = frameLength(partial, 0, this.maxFrameBytes)
        if (typeof total !== "number") return (this.failed = total)
        if (total > HEADER_BYTES) {
          this.need = total
          this.grow(HEADER_BYTES)
          continue
        }
      }
      this.partial = undefined
      const stop = onAnswer !== undefined && partial[6] === MTYPE_ANSWER
        ? onAnswer(partial, 0, this.need)
        : onFrame(decodeFrame(partial, 0, this.need))
      if (stop === true) return this.stop(chunk, off)
    }
    while (off < len) {
      const remaining = len - off
      if (remaining < HEADER_BYTES) {
        this.partial = new Uint8Array(HEADER_BYTES)
        this.partial.set(chunk.subarray(off))
        this.filled = remaining
        this.need = HEADER_BYTES
        return undefined
      }
      const total = frameLength(chunk, off, this.maxFrameBytes)
      if (typeof total !== "number") return (this.failed = total)
      if (remaining < total) {
        this.partial = new Uint8Array(initialCapacity(total, remaining))
        this.partial.set(chunk.subarray(off))
        this.filled = remaining
        this.need = total
        return undefined
      }
      off += total
      const stop = onAnswer !== undefined && chunk[off - total + 6] === MTYPE_ANSWER
        ? onAnswer(chunk, off - total, total)
        : onFrame(decodeFrame(chunk, off - total, total))
      if (stop === true) return this.stop(chunk, off)
    }
    return undefined
  }

  /**
   * Grows the partial-frame buffer to hold at least `bytes` (doubling, never beyond the
   * announced frame size): a peer that announces 8 MiB and sends a trickle makes us hold
   * what it sent, not what it promised.
   */
  private grow(bytes: number): Uint8Array {
    const old = this.partial!
    const next = new Uint8Array(Math.min(this.need, Math.max(bytes, old.length * 2, initialCapacity(this.need, bytes))))
    next.set(old.subarray(0, this.filled))
    this.partial = next
    return next
  }

  private stop(chunk: Uint8Array, off: number): undefined {
    if (off < chunk.length) this.rest = chunk.subarray(off)
    return undefined
  }
}
