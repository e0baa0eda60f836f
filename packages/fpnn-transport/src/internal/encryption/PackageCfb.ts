/**
 * Package mode's AES-CFB128 (FPNN.md §12.6): every frame is encrypted from the IV again.
 *
 *   C[i] = P[i] ⊕ E(C[i-1]),  C[-1] = IV        (the last block may be partial)
 *
 * Perf: a `node:crypto` call costs a few µs whatever its size (BENCHMARKS.md, "Encryption"),
 * and a new CFB cipher per frame costs 3 µs on Node 20 and 13 µs or more on Node 24. So the
 * work is done over two long-lived ciphers of the connection's key, with as few calls as
 * possible per batch of frames:
 *
 * - decryption needs E(IV), E(C[0]) … E(C[n-2]), all known from the ciphertext: ONE ECB call
 *   for every package of a received chunk, however many;
 * - encryption is sequential within a frame but independent across frames, so a batch is
 *   encrypted in lockstep: step j ECB-encrypts block j-1 of every frame in one call, and
 *   the batch costs (blocks of its longest frame − 1) calls;
 * - a frame too long for that goes through a long-lived AES-CFB cipher, rewound to the IV
 *   by feeding it the one block whose ciphertext is the IV (IV ⊕ E(last ciphertext block)):
 *   two calls per frame, any size. The batch takes whichever way needs fewer calls.
 */
import { type Cipheriv, createCipheriv } from "node:crypto"
import { encryptionError } from "./EncryptionError.js"

/** Frames longer than this many blocks go through the rewound CFB cipher, not the lockstep. */
const LONG_BLOCKS = 16
/** A scratch buffer grows up to this size, on demand; larger work gets a buffer of its own. */
const SCRATCH_BYTES = 64 * 1024

/**
 * A reusable scratch buffer (inputs to a cipher call, which copies them): allocated on first
 * use and grown with the work, so an idle connection holds none of it.
 */
export const makeWorkspace = (): (bytes: number) => Buffer => {
  let scratch: Buffer | undefined
  return (bytes) => {
    if (bytes > SCRATCH_BYTES) return Buffer.allocUnsafeSlow(bytes)
    if (scratch === undefined || scratch.length < bytes) {
      scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_BYTES, Math.max(1024, 2 ** Math.ceil(Math.log2(bytes)))))
    }
    return scratch
  }
}

export interface PackageCfb {
  /** `uint32 LE length || ciphertext` for every frame, in order, in one buffer. */
  readonly encrypt: (frames: ReadonlyArray<Uint8Array>) => Buffer
  /** Decrypts the packages `bytes[offsets[i], offsets[i] + lengths[i])` into one buffer; views per package. */
  readonly decrypt: (
    sources: ReadonlyArray<Uint8Array>,
    offsets: ReadonlyArray<number>,
    lengths: ReadonlyArray<number>
  ) => Array<Uint8Array>
}

const blocksOf = (length: number): number => (length + 15) >> 4

/** What the lockstep and the decryption share: the ECB cipher, E(IV) and a scratch buffer. */
interface EcbCore {
  readonly ecb: Cipheriv
  readonly firstKeystream: Buffer
  readonly workspace: (bytes: number) => Buffer
}

/** Step 0 to `blocks - 1` over every frame of at most LONG_BLOCKS blocks, in place in `out`. */
const lockstep = (core: EcbCore, out: Buffer, frames: ReadonlyArray<Uint8Array>, blocks: number): void => {
  const { ecb, firstKeystream, workspace } = core
  let at = 0
  for (const frame of frames) {
    const len = frame.length
    if (blocksOf(len) <= LONG_BLOCKS) {
      const end = at + 4 + Math.min(16, len)
      for (let i = at + 4, k = 0; i < end; i++, k++) out[i] = out[i]! ^ firstKeystream[k]!
    }
    at += 4 + len
  }
  const gather = workspace(frames.length * 16)
  for (let step = 1; step < blocks; step++) {
    const from = step * 16
    let count = 0
    at = 0
    for (const frame of frames) {
      const len = frame.length
      if (len > from && blocksOf(len) <= LONG_BLOCKS) {
        const src = at + 4 + from - 16
        const dst = count * 16
        for (let i = 0; i < 16; i++) gather[dst + i] = out[src + i]!
        count++
      }
      at += 4 + len
    }
    const keystream = ecb.update(gather.subarray(0, count * 16))
    count = 0
    at = 0
    for (const frame of frames) {
      const len = frame.length
      if (len > from && blocksOf(len) <= LONG_BLOCKS) {
        const start = at + 4 + from
        const end = at + 4 + Math.min(from + 16, len)
        for (let i = start, k = count * 16; i < end; i++, k++) out[i] = out[i]! ^ keystream[k]!
        count++
      }
      at += 4 + len
    }
  }
}

/** Every package of a received chunk through one ECB call (see the module comment). */
const decryptAll = (
  core: EcbCore,
  sources: ReadonlyArray<Uint8Array>,
  offsets: ReadonlyArray<number>,
  lengths: ReadonlyArray<number>
): Array<Uint8Array> => {
  const { ecb, firstKeystream, workspace } = core
  let plainBytes = 0
  let gatherBytes = 0
  for (const len of lengths) {
    plainBytes += len
    gatherBytes += (blocksOf(len) - 1) * 16 // every block but the last is the input of the next
  }
  let keystream: Buffer | undefined
  if (gatherBytes > 0) {
    let input: Uint8Array
    if (sources.length === 1) input = sources[0]!.subarray(offsets[0]!, offsets[0]! + gatherBytes)
    else {
      const gather = workspace(gatherBytes)
      let pos = 0
      for (let p = 0; p < sources.length; p++) {
        const whole = (blocksOf(lengths[p]!) - 1) * 16
        gather.set(sources[p]!.subarray(offsets[p]!, offsets[p]! + whole), pos)
        pos += whole
      }
      input = gather.subarray(0, gatherBytes)
    }
    keystream = ecb.update(input)
  }
  const plain = Buffer.allocUnsafe(plainBytes)
  const frames: Array<Uint8Array> = []
  let at = 0
  let k = 0
  for (let p = 0; p < sources.length; p++) {
    const src = sources[p]!
    const off = offsets[p]!
    const len = lengths[p]!
    const head = Math.min(16, len)
    for (let i = 0; i < head; i++) plain[at + i] = src[off + i]! ^ firstKeystream[i]!
    for (let i = 16; i < len; i++) plain[at + i] = src[off + i]! ^ keystream![k + i - 16]!
    k += (blocksOf(len) - 1) * 16
    frames.push(new Uint8Array(plain.buffer, plain.byteOffset + at, len))
    at += len
  }
  return frames
}

export const makePackageCfb = (key: Uint8Array, iv: Uint8Array): PackageCfb => {
  const bits = key.length === 16 ? 128 : 256
  const ecb = createCipheriv(`aes-${bits}-ecb`, key, null)
  ecb.setAutoPadding(false)
  const ivBytes = Buffer.from(iv)
  const firstKeystream = ecb.update(ivBytes) // E(IV): the same for every frame
  let cfb: Cipheriv | undefined
  // The CFB cipher's state: at the IV, or after the full ciphertext block `lastBlock`.
  let atIv = true
  const lastBlock = Buffer.alloc(16)
  const workspace = makeWorkspace()
  const core: EcbCore = { ecb, firstKeystream, workspace }

  /** One frame in place at `out[body, body + len)`, through the CFB cipher rewound to the IV. */
  const rewound = (out: Buffer, body: number, len: number): void => {
    cfb ??= createCipheriv(`aes-${bits}-cfb`, key, iv)
    const rewind = atIv ? 0 : 16
    const padded = rewind + blocksOf(len) * 16 // whole blocks, so the state ends on a block
    const input = workspace(padded)
    if (!atIv) {
      const keystream = ecb.update(lastBlock)
      for (let i = 0; i < 16; i++) input[i] = ivBytes[i]! ^ keystream[i]!
    }
    out.copy(input, rewind, body, body + len)
    const cipher = cfb.update(input.subarray(0, padded))
    cipher.copy(out, body, rewind, rewind + len)
    cipher.copy(lastBlock, 0, padded - 16, padded)
    atIv = false
  }

  const encrypt = (frames: ReadonlyArray<Uint8Array>): Buffer => {
    let total = 0
    let long = 0
    let shortBlocks = 0
    for (const frame of frames) {
      // The receiver rejects a zero length; an empty frame is never valid FPNN anyway.
      if (frame.length === 0) throw encryptionError("InvalidLength", "Cannot encrypt an empty package")
      total += 4 + frame.length
      const blocks = blocksOf(frame.length)
      if (blocks > LONG_BLOCKS) long++
      else if (blocks > shortBlocks) shortBlocks = blocks
    }
    const out = Buffer.allocUnsafe(total)
    let at = 0
    for (const frame of frames) {
      out.writeUInt32LE(frame.length, at)
      out.set(frame, at + 4)
      at += 4 + frame.length
    }
    // Calls needed: lockstep for the short frames and rewinds for the long ones, or rewinds for all.
    const allRewound = 2 * frames.length < Math.max(0, shortBlocks - 1) + 2 * long
    if (!allRewound && shortBlocks > 0) lockstep(core, out, frames, shortBlocks)
    at = 0
    for (const frame of frames) {
      if (allRewound || blocksOf(frame.length) > LONG_BLOCKS) rewound(out, at + 4, frame.length)
      at += 4 + frame.length
    }
    return out
  }

  const decrypt: PackageCfb["decrypt"] = (sources, offsets, lengths) => decryptAll(core, sources, offsets, lengths)

  return { encrypt, decrypt }
}
