/** The package and stream ciphers of encrypted connections (FPNN.md §12.5 – §12.7). */
import { type Cipheriv, createCipheriv, createDecipheriv, type Decipheriv } from "node:crypto"
import { checkMode, type Mode } from "./Curve.js"
import { type EncryptionError, encryptionError } from "./EncryptionError.js"
import { makePackageCfb, makeWorkspace } from "./PackageCfb.js"

export interface Decryptor {
  /** Feeds received bytes; returns decrypted output (stream: the chunk's plaintext, package: whole frames). */
  push(chunk: Uint8Array): Array<Uint8Array>
  /** Bytes held back waiting for the rest of a package (always 0 in stream mode). */
  readonly buffered: number
}

export const DEFAULT_MAX_PACKAGE_BYTES = 8 * 1024 * 1024

const cipherName = (key: Uint8Array, iv: Uint8Array): string => {
  if (iv.length !== 16) throw encryptionError("InvalidLength", `IV must be 16 bytes, got ${iv.length}`)
  if (key.length === 16) return "aes-128-cfb"
  if (key.length === 32) return "aes-256-cfb"
  throw encryptionError("InvalidLength", `AES key must be 16 or 32 bytes, got ${key.length}`)
}

/** The cipher of one connection: outbound batches of frames, inbound chunks (see Connection.ts). */
export interface ConnectionCipher {
  /** Encrypts frames, in send order, into the bytes to write (fewer buffers than frames). */
  readonly encrypt: (frames: ReadonlyArray<Uint8Array>) => Array<Uint8Array>
  readonly decrypt: Decryptor
}

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length)

/**
 * Stream mode: one CFB cipher per direction for the life of the connection, so frames are
 * encrypted in send order. Perf: a batch is gathered into one scratch buffer and encrypted
 * in one call (runs of at most the scratch size), since every cipher call costs a few µs.
 */
const streamBatch = (cipher: Cipheriv): ConnectionCipher["encrypt"] => {
  const workspace = makeWorkspace()
  return (frames) => {
    if (frames.length === 1) return [view(cipher.update(frames[0]!))]
    const out: Array<Uint8Array> = []
    const run = workspace(RUN_BYTES)
    let fill = 0
    for (const frame of frames) {
      if (fill > 0 && fill + frame.length > run.length) {
        out.push(view(cipher.update(run.subarray(0, fill))))
        fill = 0
      }
      if (frame.length >= run.length) out.push(view(cipher.update(frame)))
      else {
        run.set(frame, fill)
        fill += frame.length
      }
    }
    if (fill > 0) out.push(view(cipher.update(run.subarray(0, fill))))
    return out
  }
}
const RUN_BYTES = 16 * 1024

const makeBatchEncryptor = (mode: Mode, key: Uint8Array, iv: Uint8Array): ConnectionCipher["encrypt"] => {
  checkMode(mode)
  const algorithm = cipherName(key, iv)
  if (mode === "stream") return streamBatch(createCipheriv(algorithm, key, iv))
  const cfb = makePackageCfb(key, iv)
  return (frames) => [view(cfb.encrypt(frames))]
}

/**
 * Outbound encryption of whole FPNN frames. Package mode: `uint32 LE length || AES-CFB(frame)`,
 * CFB restarted from the IV for every frame. Stream mode: one cipher for the life of the
 * connection, no prefix — so frames must be passed in send order.
 */
export const makeEncryptor = (mode: Mode, key: Uint8Array, iv: Uint8Array): (frame: Uint8Array) => Uint8Array => {
  const batch = makeBatchEncryptor(mode, key, iv)
  return (frame) => batch([frame])[0]!
}

/** Both directions of a connection's cipher, from the negotiated mode, key and IV. */
export const makeConnectionCipher = (
  mode: Mode,
  key: Uint8Array,
  iv: Uint8Array,
  maxPackageBytes: number = DEFAULT_MAX_PACKAGE_BYTES
): ConnectionCipher => ({
  encrypt: makeBatchEncryptor(mode, key, iv),
  decrypt: makeDecryptor(mode, key, iv, maxPackageBytes)
})

/**
 * Why a package length cannot be read: validated before allocating, so a hostile prefix
 * cannot make us reserve 4 GiB.
 */
const lengthProblem = (length: number, maxPackageBytes: number): EncryptionError | undefined =>
  length === 0
    ? encryptionError("InvalidLength", "Encrypted package with length 0")
    : length > maxPackageBytes
    ? encryptionError("Oversized", `Encrypted package of ${length} bytes exceeds the limit of ${maxPackageBytes}`)
    : undefined

/**
 * Inbound decryption. Stream mode: each chunk's plaintext (to be fed to the ordinary frame
 * reader). Package mode: reassembles `length || ciphertext` packages across any chunking and
 * returns each decrypted frame; the packages completed by one chunk are decrypted together
 * (one cipher call). After a failure the decryptor keeps throwing the same error.
 */
export const makeDecryptor = (
  mode: Mode,
  key: Uint8Array,
  iv: Uint8Array,
  maxPackageBytes: number = DEFAULT_MAX_PACKAGE_BYTES
): Decryptor => {
  checkMode(mode)
  if (mode === "stream") {
    const decipher: Decipheriv = createDecipheriv(cipherName(key, iv), key, iv)
    return {
      push: (chunk) => (chunk.length === 0 ? [] : [view(decipher.update(chunk))]),
      buffered: 0
    }
  }
  return makePackageDecryptor(key, iv, maxPackageBytes)
}

/** Package mode's decryptor: reassembles packages across chunks, decrypts a chunk's packages together. */
const makePackageDecryptor = (key: Uint8Array, iv: Uint8Array, maxPackageBytes: number): Decryptor => {
  const cfb = makePackageCfb(key, iv)
  const header = Buffer.alloc(4)
  let headerFill = 0
  let body: Buffer | undefined
  let bodyFill = 0
  let failure: EncryptionError | undefined
  // The packages completed by the current chunk: where their ciphertext is.
  const sources: Array<Uint8Array> = []
  const offsets: Array<number> = []
  const lengths: Array<number> = []
  const complete = (source: Uint8Array, offset: number, length: number) => {
    sources.push(source)
    offsets.push(offset)
    lengths.push(length)
  }
  const fail = (error: EncryptionError): never => {
    failure = error
    sources.length = offsets.length = lengths.length = 0
    throw error
  }

  /** The next package's length, validated before anything is allocated for it. */
  const packageLength = (length: number): number => {
    const problem = lengthProblem(length, maxPackageBytes)
    return problem === undefined ? length : fail(problem)
  }

  const push = (chunk: Uint8Array): Array<Uint8Array> => {
    if (failure !== undefined) throw failure
    let pos = 0
    const len = chunk.length
    while (pos < len) {
      if (body === undefined && headerFill === 0 && len - pos >= 4) {
        // Perf: a package wholly inside the chunk is decrypted from the chunk itself.
        const length = packageLength(
          (chunk[pos]! | (chunk[pos + 1]! << 8) | (chunk[pos + 2]! << 16) | (chunk[pos + 3]! << 24)) >>> 0
        )
        if (len - pos - 4 >= length) {
          complete(chunk, pos + 4, length)
          pos += 4 + length
          continue
        }
        header.set(chunk.subarray(pos, pos + 4))
        headerFill = 4
        pos += 4
        body = Buffer.allocUnsafe(length)
        bodyFill = 0
      } else if (body === undefined) {
        const n = Math.min(4 - headerFill, len - pos)
        header.set(chunk.subarray(pos, pos + n), headerFill)
        headerFill += n
        pos += n
        if (headerFill < 4) break
        body = Buffer.allocUnsafe(packageLength(header.readUInt32LE(0)))
        bodyFill = 0
      }
      const n = Math.min(body.length - bodyFill, len - pos)
      body.set(chunk.subarray(pos, pos + n), bodyFill)
      bodyFill += n
      pos += n
      if (bodyFill === body.length) {
        complete(body, 0, body.length)
        body = undefined
        headerFill = 0
      }
    }
    if (sources.length === 0) return []
    const frames = cfb.decrypt(sources, offsets, lengths)
    sources.length = offsets.length = lengths.length = 0
    return frames
  }

  return {
    push,
    get buffered() {
      return headerFill + (body === undefined ? 0 : bodyFill)
    }
  }
}
