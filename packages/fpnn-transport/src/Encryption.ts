/**
 * FPNN connection encryption (FPNN.md §12): ECDH key exchange, key/IV derivation and
 * AES-CFB128 framing in package and stream mode. Pure, synchronous, `node:crypto` only;
 * the connection code plugs these into its read/write paths.
 */
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createPrivateKey,
  ECDH,
  generateKeyPairSync,
  type Cipheriv,
  type Decipheriv,
  type KeyObject
} from "node:crypto"
import { Schema } from "effect"
import { type Reason, ReasonSchema, reasonCache } from "./Errors.js"

export type Curve = "secp256k1" | "secp256r1" | "secp224r1" | "secp192r1"
export type Strength = 128 | 256
export type Mode = "package" | "stream"

export const encryptionErrorReasons = [
  "InvalidKeyFormat",
  "UnknownCurve",
  "CurveMismatch",
  "InvalidPublicKeyLength",
  "InvalidPoint",
  "InvalidPrivateKey",
  "InvalidStrength",
  "InvalidMode",
  "Oversized",
  "InvalidLength",
  "InvalidKeyQuest",
  "InvalidBits"
] as const

export type EncryptionErrorReasonName = (typeof encryptionErrorReasons)[number]
export type EncryptionErrorReason = Reason<EncryptionErrorReasonName>
const encryptionReasons = reasonCache(encryptionErrorReasons)

/**
 * Key material or encrypted bytes that cannot be used. Thrown by the synchronous
 * functions of this module (they are pure); the client and the server turn it into a
 * typed failure (`FpnnOptionsError` at build, `FpnnConnectionError` "Encryption" on a
 * connection). `detail` says what was wrong.
 */
export class EncryptionError extends Schema.TaggedError<EncryptionError>()("EncryptionError", {
  reason: ReasonSchema(encryptionErrorReasons),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return this.detail
  }
}

const encryptionError = (reason: EncryptionErrorReasonName, detail: string, options?: { cause?: unknown }) =>
  new EncryptionError(
    options?.cause === undefined
      ? { reason: encryptionReasons[reason], detail }
      : { reason: encryptionReasons[reason], detail, cause: options.cause },
    { disableChecks: true }
  )

export interface ServerPublicKey {
  readonly curve: Curve
  /** Uncompressed SEC1 point: 0x04 || X || Y (2 * L + 1 bytes). */
  readonly point: Uint8Array
}

export interface ServerPrivateKey {
  readonly curve: Curve
  /** Raw big-endian scalar, left-padded to L bytes (the C++ server's key file format). */
  readonly privateKey: Uint8Array
}

export interface SessionKeys {
  readonly key: Uint8Array
  readonly iv: Uint8Array
}

export interface ClientKeyExchange extends SessionKeys {
  /** X || Y without the 0x04 prefix (2 * L bytes): the `publicKey` of the `*key` quest. */
  readonly publicKeyXY: Uint8Array
}

export interface GeneratedKeyPair {
  readonly curve: Curve
  /** PKCS#8 "PRIVATE KEY" PEM. */
  readonly privateKeyPem: string
  /** SubjectPublicKeyInfo "PUBLIC KEY" PEM. */
  readonly publicKeyPem: string
  readonly privateKeyDer: Uint8Array
  readonly publicKeyDer: Uint8Array
  /** Raw scalar, L bytes: what the C++ server's `ecdh.privateKey` file holds. */
  readonly privateKeyRaw: Uint8Array
  /** 0x04 || X || Y. */
  readonly publicKeyRaw: Uint8Array
}

export interface KeyQuestPayload {
  readonly publicKey: Uint8Array
  readonly streamMode: boolean
  readonly bits: number
}

export interface ParsedKeyQuest {
  readonly publicKey: Uint8Array
  readonly mode: Mode
  readonly strength: Strength
}

export interface Decryptor {
  /** Feeds received bytes; returns decrypted output (stream: the chunk's plaintext, package: whole frames). */
  push(chunk: Uint8Array): Array<Uint8Array>
  /** Bytes held back waiting for the rest of a package (always 0 in stream mode). */
  readonly buffered: number
}

export const DEFAULT_CURVE: Curve = "secp256k1"
export const DEFAULT_MAX_PACKAGE_BYTES = 8 * 1024 * 1024

interface CurveInfo {
  readonly node: string
  readonly oid: string
  /** Coordinate / secret / private-key size in bytes. */
  readonly size: number
}

const CURVES: Record<Curve, CurveInfo> = {
  secp256k1: { node: "secp256k1", oid: "1.3.132.0.10", size: 32 },
  secp256r1: { node: "prime256v1", oid: "1.2.840.10045.3.1.7", size: 32 },
  secp224r1: { node: "secp224r1", oid: "1.3.132.0.33", size: 28 },
  secp192r1: { node: "prime192v1", oid: "1.2.840.10045.3.1.1", size: 24 }
}

export const CURVE_NAMES: ReadonlyArray<Curve> = ["secp256k1", "secp256r1", "secp224r1", "secp192r1"]

const ID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"

/** Secret length L of a curve (32/32/28/24). */
export const curveSize = (curve: Curve): number => curveInfo(curve).size

const curveInfo = (curve: Curve): CurveInfo => {
  // Guards against untyped callers (config files, CLI flags).
  if (!Object.prototype.hasOwnProperty.call(CURVES, curve)) {
    throw encryptionError("UnknownCurve", `Unsupported curve ${JSON.stringify(curve)}`)
  }
  return CURVES[curve]
}

const curveFromOid = (oid: string): Curve => {
  for (const name of CURVE_NAMES) if (CURVES[name].oid === oid) return name
  throw encryptionError("UnknownCurve", `Unsupported EC named-curve OID ${oid}`)
}

const checkStrength = (strength: Strength): void => {
  if (strength !== 128 && strength !== 256) {
    throw encryptionError("InvalidStrength", `AES strength must be 128 or 256, got ${String(strength)}`)
  }
}

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

const leftPad = (bytes: Uint8Array, size: number): Uint8Array => {
  if (bytes.length >= size) return bytes
  const out = new Uint8Array(size)
  out.set(bytes, size - bytes.length)
  return out
}

// ---------------------------------------------------------------------------------------
// Minimal DER reader: only what SPKI / PKCS#8 EC keys need. Hand-rolled because Node's JWK
// export rejects secp224r1/secp192r1 and its public-key import hides which OID was unknown.

interface Tlv {
  readonly tag: number
  readonly value: Uint8Array
  readonly end: number
}

const derFail = (what: string): never => {
  throw encryptionError("InvalidKeyFormat", `Malformed DER: ${what}`)
}

const readTlv = (buf: Uint8Array, pos: number): Tlv => {
  const tag = buf[pos]
  let lenByte = buf[pos + 1]
  if (tag === undefined || lenByte === undefined) return derFail("truncated header")
  let p = pos + 2
  let len = lenByte
  if (lenByte & 0x80) {
    const n = lenByte & 0x7f
    if (n === 0 || n > 3) return derFail("unsupported length encoding")
    len = 0
    for (let i = 0; i < n; i++) {
      lenByte = buf[p++]
      if (lenByte === undefined) return derFail("truncated length")
      len = len * 256 + lenByte
    }
  }
  if (p + len > buf.length) return derFail("truncated value")
  return { tag, value: buf.subarray(p, p + len), end: p + len }
}

/** Splits the content of a constructed value into its child TLVs. */
const readSequence = (buf: Uint8Array): Array<Tlv> => {
  const items: Array<Tlv> = []
  let pos = 0
  while (pos < buf.length) {
    const tlv = readTlv(buf, pos)
    items.push(tlv)
    pos = tlv.end
  }
  return items
}

const expectTag = (tlv: Tlv | undefined, tag: number, what: string): Uint8Array => {
  if (tlv === undefined || tlv.tag !== tag) return derFail(`expected ${what}`)
  return tlv.value
}

const decodeOid = (bytes: Uint8Array): string => {
  const first = bytes[0]
  if (first === undefined) return derFail("empty OID")
  const arc0 = Math.min(2, Math.floor(first / 40))
  const parts: Array<number> = [arc0, first - arc0 * 40]
  let acc = 0
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i]!
    acc = acc * 128 + (b & 0x7f)
    if (!(b & 0x80)) {
      parts.push(acc)
      acc = 0
    }
  }
  return parts.join(".")
}

/** AlgorithmIdentifier { id-ecPublicKey, namedCurve } → curve. */
const readEcAlgorithm = (tlv: Tlv | undefined): Curve => {
  const [alg, params] = readSequence(expectTag(tlv, 0x30, "AlgorithmIdentifier"))
  const algOid = decodeOid(expectTag(alg, 0x06, "algorithm OID"))
  if (algOid !== ID_EC_PUBLIC_KEY) {
    throw encryptionError("InvalidKeyFormat", `Not an EC key (algorithm OID ${algOid})`)
  }
  return curveFromOid(decodeOid(expectTag(params, 0x06, "named-curve OID (explicit curve parameters are not supported)")))
}

const parseSpkiDer = (der: Uint8Array): { curve: Curve; point: Uint8Array } => {
  const outer = readTlv(der, 0)
  if (outer.tag !== 0x30 || outer.end !== der.length) return derFail("SubjectPublicKeyInfo is not one SEQUENCE")
  const [alg, key] = readSequence(outer.value)
  const curve = readEcAlgorithm(alg)
  const bits = expectTag(key, 0x03, "BIT STRING")
  if (bits[0] !== 0) return derFail("BIT STRING with unused bits")
  return { curve, point: bits.subarray(1) }
}

/** PKCS#8 { version, AlgorithmIdentifier, OCTET STRING { ECPrivateKey } } → curve + scalar. */
const parsePkcs8Der = (der: Uint8Array): { curve: Curve; scalar: Uint8Array } => {
  const outer = readTlv(der, 0)
  if (outer.tag !== 0x30) return derFail("PrivateKeyInfo is not a SEQUENCE")
  const [, alg, octets] = readSequence(outer.value)
  const curve = readEcAlgorithm(alg)
  const ecKey = readTlv(expectTag(octets, 0x04, "privateKey OCTET STRING"), 0)
  const [, scalar] = readSequence(expectTag(ecKey, 0x30, "ECPrivateKey"))
  return { curve, scalar: expectTag(scalar, 0x04, "private scalar OCTET STRING") }
}

// ---------------------------------------------------------------------------------------
// Key parsing

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/

const asText = (input: Uint8Array | string): string | undefined => {
  if (typeof input === "string") return input
  // Key files read as bytes: only treat them as text when they look like PEM.
  const head = Buffer.from(input.subarray(0, 64)).toString("latin1").trimStart()
  return head.startsWith("-----BEGIN") ? Buffer.from(input).toString("latin1") : undefined
}

const pemBlock = (text: string): { label: string; der: Uint8Array } | undefined => {
  const m = PEM_RE.exec(text)
  if (m === null) return undefined
  return { label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ""), "base64") }
}

const isHex = (s: string): boolean => s.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(s)

const checkCurveMatch = (found: Curve, requested: Curve | undefined): void => {
  if (requested !== undefined && requested !== found) {
    throw encryptionError("CurveMismatch", `Key is for ${found} but ${requested} was requested`)
  }
}

/** Validates a SEC1 point (any encoding) and returns it uncompressed (0x04 || X || Y). */
const normalizePoint = (point: Uint8Array, curve: Curve): Uint8Array => {
  const { node, size } = curveInfo(curve)
  const prefix = point[0]
  const ok =
    (point.length === 2 * size + 1 && prefix === 0x04) ||
    (point.length === size + 1 && (prefix === 0x02 || prefix === 0x03))
  if (!ok) {
    throw encryptionError(
      "InvalidPublicKeyLength",
      `Not a SEC1 point for ${curve}: ${point.length} bytes with prefix 0x${(prefix ?? 0).toString(16)}`
    )
  }
  try {
    // convertKey rejects points not on the curve and decompresses 02/03 forms.
    return new Uint8Array(ECDH.convertKey(toBuffer(point), node, undefined, undefined, "uncompressed") as Buffer)
  } catch (cause) {
    throw encryptionError("InvalidPoint", `Public key is not a valid point on ${curve}`, { cause })
  }
}

/** Raw point forms: 04||X||Y, X||Y, 02/03||X. */
const rawPoint = (bytes: Uint8Array, curve: Curve): Uint8Array => {
  const { size } = curveInfo(curve)
  if (bytes.length === 2 * size) {
    const full = new Uint8Array(2 * size + 1)
    full[0] = 0x04
    full.set(bytes, 1)
    return normalizePoint(full, curve)
  }
  return normalizePoint(bytes, curve)
}

/**
 * Parses the server public key a client is configured with (§12.2): PEM or DER
 * SubjectPublicKeyInfo (curve from the OID), or a raw point — 65-byte 04||X||Y, 64-byte
 * X||Y, 33-byte compressed (sizes for 256-bit curves), as bytes or hex text. Raw forms use
 * `curve` (default secp256k1); for PEM/DER a given `curve` must match the key's.
 */
export const parseServerPublicKey = (input: Uint8Array | string, curve?: Curve): ServerPublicKey => {
  const text = asText(input)
  if (text !== undefined) {
    const block = pemBlock(text)
    if (block !== undefined) {
      if (block.label !== "PUBLIC KEY") {
        throw encryptionError("InvalidKeyFormat", `Expected a "PUBLIC KEY" PEM block, got "${block.label}"`)
      }
      return fromSpki(block.der, curve)
    }
    const hex = text.trim()
    if (!isHex(hex)) throw encryptionError("InvalidKeyFormat", "Public key text is neither PEM nor hex")
    return parseServerPublicKey(Buffer.from(hex, "hex"), curve)
  }
  const bytes = input as Uint8Array
  // DER first: a raw X||Y of one curve can have the length of a compressed SPKI of another.
  if (bytes[0] === 0x30) {
    let spki: { curve: Curve; point: Uint8Array } | undefined
    try {
      spki = parseSpkiDer(bytes)
    } catch (e) {
      if (!(e instanceof EncryptionError) || e.reason._tag !== "InvalidKeyFormat") throw e
    }
    if (spki !== undefined) {
      checkCurveMatch(spki.curve, curve)
      return { curve: spki.curve, point: normalizePoint(spki.point, spki.curve) }
    }
  }
  const c = curve ?? DEFAULT_CURVE
  const { size } = curveInfo(c)
  if (bytes.length !== 2 * size && bytes.length !== 2 * size + 1 && bytes.length !== size + 1) {
    throw encryptionError(
      "InvalidPublicKeyLength",
      `Public key of ${bytes.length} bytes is neither DER SPKI nor a raw ${c} point (${2 * size + 1}, ${2 * size} or ${size + 1} bytes)`
    )
  }
  return { curve: c, point: rawPoint(bytes, c) }
}

const fromSpki = (der: Uint8Array, curve: Curve | undefined): ServerPublicKey => {
  const spki = parseSpkiDer(der)
  checkCurveMatch(spki.curve, curve)
  return { curve: spki.curve, point: normalizePoint(spki.point, spki.curve) }
}

/** Validates a raw scalar (0 < d < n) and pads it to L bytes. */
const checkScalar = (scalar: Uint8Array, curve: Curve): Uint8Array => {
  const { node, size } = curveInfo(curve)
  // DER INTEGER-style leading zero bytes are harmless; strip them before the size check.
  let start = 0
  while (start < scalar.length - 1 && scalar[start] === 0) start++
  const trimmed = scalar.subarray(start)
  if (trimmed.length > size) {
    throw encryptionError("InvalidPrivateKey", `Private key is longer than ${size} bytes for ${curve}`)
  }
  try {
    createECDH(node).setPrivateKey(toBuffer(trimmed))
  } catch (cause) {
    throw encryptionError("InvalidPrivateKey", `Private key is out of range for ${curve}`, { cause })
  }
  return new Uint8Array(leftPad(trimmed, size))
}

const fromPrivateKeyObject = (key: KeyObject, curve: Curve | undefined): ServerPrivateKey => {
  if (key.asymmetricKeyType !== "ec") {
    throw encryptionError("InvalidKeyFormat", `Expected an EC private key, got ${String(key.asymmetricKeyType)}`)
  }
  // Normalise SEC1/PKCS#8 via OpenSSL, then read the scalar ourselves (JWK export lacks P-224/P-192).
  const der = key.export({ type: "pkcs8", format: "der" })
  const parsed = parsePkcs8Der(der)
  checkCurveMatch(parsed.curve, curve)
  return { curve: parsed.curve, privateKey: checkScalar(parsed.scalar, parsed.curve) }
}

const importPrivateKey = (
  input: { key: string; format: "pem" } | { key: Buffer; format: "der"; type: "pkcs8" | "sec1" }
): KeyObject | undefined => {
  try {
    return createPrivateKey(input)
  } catch {
    return undefined
  }
}

/**
 * Parses the server's private key: PEM ("EC PRIVATE KEY" or "PRIVATE KEY"), DER (SEC1 or
 * PKCS#8), or the raw big-endian scalar of L bytes (the C++ server's key file), as bytes or
 * hex text. Raw forms use `curve` (default secp256k1).
 */
export const parseServerPrivateKey = (input: Uint8Array | string, curve?: Curve): ServerPrivateKey => {
  const text = asText(input)
  if (text !== undefined) {
    if (pemBlock(text) !== undefined) {
      const key = importPrivateKey({ key: text, format: "pem" })
      if (key === undefined) throw encryptionError("InvalidKeyFormat", "Unreadable PEM private key")
      return fromPrivateKeyObject(key, curve)
    }
    const hex = text.trim()
    if (!isHex(hex)) throw encryptionError("InvalidKeyFormat", "Private key text is neither PEM nor hex")
    return parseServerPrivateKey(Buffer.from(hex, "hex"), curve)
  }
  const bytes = input as Uint8Array
  const c = curve ?? DEFAULT_CURVE
  if (bytes.length === curveInfo(c).size) return { curve: c, privateKey: checkScalar(bytes, c) }
  const buf = toBuffer(bytes)
  const key =
    importPrivateKey({ key: buf, format: "der", type: "pkcs8" }) ??
    importPrivateKey({ key: buf, format: "der", type: "sec1" })
  if (key === undefined) {
    throw encryptionError(
      "InvalidKeyFormat",
      `Private key of ${bytes.length} bytes is neither DER (SEC1/PKCS#8) nor a raw ${c} scalar (${curveInfo(c).size} bytes)`
    )
  }
  return fromPrivateKeyObject(key, curve)
}

/** A fresh key pair, e.g. for an emulator's `ecdh.privateKey` / a client's server key. */
export const generateKeyPair = (curve: Curve = DEFAULT_CURVE): GeneratedKeyPair => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: curveInfo(curve).node })
  const privateKeyDer = new Uint8Array(privateKey.export({ type: "pkcs8", format: "der" }))
  const publicKeyDer = new Uint8Array(publicKey.export({ type: "spki", format: "der" }))
  return {
    curve,
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) as string,
    privateKeyDer,
    publicKeyDer,
    privateKeyRaw: parseServerPrivateKey(privateKeyDer, curve).privateKey,
    publicKeyRaw: parseServerPublicKey(publicKeyDer, curve).point
  }
}

// ---------------------------------------------------------------------------------------
// Key exchange (§12.3, §12.4)

/** §12.4: IV = MD5(S); key = S[0..16] (128) or S / SHA-256(S) when L ≠ 32 (256). */
export const deriveSessionKeys = (secret: Uint8Array, strength: Strength): SessionKeys => {
  checkStrength(strength)
  const iv = new Uint8Array(createHash("md5").update(secret).digest())
  const key =
    strength === 128
      ? secret.slice(0, 16)
      : secret.length === 32
        ? secret.slice()
        : new Uint8Array(createHash("sha256").update(secret).digest())
  return { key, iv }
}

/** X coordinate of priv × point, exactly L bytes. */
const sharedSecret = (ecdh: ECDH, point: Uint8Array, curve: Curve): Uint8Array => {
  try {
    return leftPad(new Uint8Array(ecdh.computeSecret(toBuffer(point))), curveInfo(curve).size)
  } catch (cause) {
    throw encryptionError("InvalidPoint", `Peer public key is not a valid point on ${curve}`, { cause })
  }
}

/**
 * Client side: makes an ephemeral key (or uses `clientPrivateKey`, for reproducible tests),
 * and derives the session key/IV against the server public key.
 */
export const clientKeyExchange = (
  server: ServerPublicKey,
  strength: Strength,
  clientPrivateKey?: Uint8Array
): ClientKeyExchange => {
  checkStrength(strength)
  const { node } = curveInfo(server.curve)
  const ecdh = createECDH(node)
  if (clientPrivateKey === undefined) ecdh.generateKeys()
  else ecdh.setPrivateKey(toBuffer(checkScalar(clientPrivateKey, server.curve)))
  const secret = sharedSecret(ecdh, normalizePoint(server.point, server.curve), server.curve)
  const pub = ecdh.getPublicKey(null, "uncompressed")
  return { publicKeyXY: new Uint8Array(pub.subarray(1)), ...deriveSessionKeys(secret, strength) }
}

/** Server side: validates the `*key` quest's X||Y (exactly 2 * L bytes) and derives key/IV. */
export const serverKeyExchange = (
  server: ServerPrivateKey,
  clientPublicKeyXY: Uint8Array,
  strength: Strength
): SessionKeys => {
  checkStrength(strength)
  const { node, size } = curveInfo(server.curve)
  if (clientPublicKeyXY.length !== 2 * size) {
    throw encryptionError(
      "InvalidPublicKeyLength",
      `Client public key must be ${2 * size} bytes (X || Y) for ${server.curve}, got ${clientPublicKeyXY.length}`
    )
  }
  const ecdh = createECDH(node)
  ecdh.setPrivateKey(toBuffer(checkScalar(server.privateKey, server.curve)))
  const point = new Uint8Array(2 * size + 1)
  point[0] = 0x04
  point.set(clientPublicKeyXY, 1)
  return deriveSessionKeys(sharedSecret(ecdh, point, server.curve), strength)
}

// ---------------------------------------------------------------------------------------
// Ciphers (§12.5 – §12.7)

const cipherName = (key: Uint8Array, iv: Uint8Array): string => {
  if (iv.length !== 16) throw encryptionError("InvalidLength", `IV must be 16 bytes, got ${iv.length}`)
  if (key.length === 16) return "aes-128-cfb"
  if (key.length === 32) return "aes-256-cfb"
  throw encryptionError("InvalidLength", `AES key must be 16 or 32 bytes, got ${key.length}`)
}

const checkMode = (mode: Mode): void => {
  if (mode !== "package" && mode !== "stream") {
    throw encryptionError("InvalidMode", `Mode must be "package" or "stream", got ${String(mode)}`)
  }
}

/**
 * Outbound encryption of whole FPNN frames. Package mode: `uint32 LE length || AES-CFB(frame)`
 * with a fresh cipher from the original IV per frame. Stream mode: one cipher for the life
 * of the connection, no prefix — so frames must be passed in send order.
 */
export const makeEncryptor = (mode: Mode, key: Uint8Array, iv: Uint8Array): ((frame: Uint8Array) => Uint8Array) => {
  checkMode(mode)
  const algorithm = cipherName(key, iv)
  if (mode === "stream") {
    const cipher: Cipheriv = createCipheriv(algorithm, key, iv)
    // CFB is byte-granular: update() returns exactly as many bytes as it was given.
    return (frame) => new Uint8Array(cipher.update(frame))
  }
  const cfb = packageCfb(key, iv)
  return (frame) => {
    // The receiver rejects a zero length; an empty frame is never valid FPNN anyway.
    if (frame.length === 0) throw encryptionError("InvalidLength", "Cannot encrypt an empty package")
    const out = Buffer.allocUnsafe(4 + frame.length)
    out.writeUInt32LE(frame.length, 0)
    if (frame.length <= SMALL_PACKAGE_BYTES) cfb.encryptInto(frame, out, 4)
    else createCipheriv(algorithm, key, iv).update(frame).copy(out, 4)
    return new Uint8Array(out.buffer, out.byteOffset, out.length)
  }
}

/**
 * Package mode restarts CFB from the IV for every frame (§12.6). A fresh Node cipher per
 * frame costs 3 µs on Node 20 and 13 µs on Node 24 (BENCHMARKS.md), so CFB-128 is run
 * here over one long-lived AES-ECB block cipher of the same key:
 *
 *   C[i] = P[i] ⊕ E(C[i-1]),  C[-1] = IV        (the last block may be partial)
 *
 * Decryption needs E(IV), E(C[0]) … E(C[n-2]), all known from the ciphertext: one ECB
 * call per frame. Encryption is sequential (each block needs the previous ciphertext):
 * one ECB call per block, which beats a new cipher only for small frames; E(IV) is the
 * same for every frame and computed once.
 */
const SMALL_PACKAGE_BYTES = 192
const packageCfb = (key: Uint8Array, iv: Uint8Array) => {
  const ecb = createCipheriv(key.length === 16 ? "aes-128-ecb" : "aes-256-ecb", key, null)
  ecb.setAutoPadding(false)
  const firstKeystream = ecb.update(iv)
  return {
    encryptInto(plain: Uint8Array, out: Buffer, at: number): void {
      let keystream = firstKeystream
      for (let off = 0; off < plain.length; off += 16) {
        const end = Math.min(off + 16, plain.length)
        for (let i = off; i < end; i++) out[at + i] = plain[i]! ^ keystream[i - off]!
        if (end < plain.length) keystream = ecb.update(out.subarray(at + off, at + end))
      }
    },
    decrypt(cipher: Buffer): Buffer {
      const whole = (cipher.length - 1) >> 4 // full blocks before the last (possibly partial) one
      const inputs = Buffer.allocUnsafe(16 + whole * 16)
      iv instanceof Buffer ? iv.copy(inputs, 0) : inputs.set(iv, 0)
      cipher.copy(inputs, 16, 0, whole * 16)
      const keystream = ecb.update(inputs)
      const plain = Buffer.allocUnsafe(cipher.length)
      for (let i = 0; i < cipher.length; i++) plain[i] = cipher[i]! ^ keystream[i]!
      return plain
    }
  }
}

/**
 * Inbound decryption. Stream mode: each chunk's plaintext (to be fed to the ordinary frame
 * reader). Package mode: reassembles `length || ciphertext` packages across any chunking and
 * returns each decrypted frame. After a failure the decryptor keeps throwing the same error.
 */
export const makeDecryptor = (
  mode: Mode,
  key: Uint8Array,
  iv: Uint8Array,
  maxPackageBytes: number = DEFAULT_MAX_PACKAGE_BYTES
): Decryptor => {
  checkMode(mode)
  const algorithm = cipherName(key, iv)
  if (mode === "stream") {
    const decipher: Decipheriv = createDecipheriv(algorithm, key, iv)
    return {
      push: (chunk) => (chunk.length === 0 ? [] : [new Uint8Array(decipher.update(chunk))]),
      buffered: 0
    }
  }
  const cfb = packageCfb(key, iv)
  const header = Buffer.alloc(4)
  let headerFill = 0
  let body: Buffer | undefined
  let bodyFill = 0
  let failure: EncryptionError | undefined

  const push = (chunk: Uint8Array): Array<Uint8Array> => {
    if (failure !== undefined) throw failure
    const out: Array<Uint8Array> = []
    let pos = 0
    while (pos < chunk.length) {
      if (body === undefined) {
        const n = Math.min(4 - headerFill, chunk.length - pos)
        header.set(chunk.subarray(pos, pos + n), headerFill)
        headerFill += n
        pos += n
        if (headerFill < 4) break
        const length = header.readUInt32LE(0)
        // Validate before allocating so a hostile prefix cannot make us reserve 4 GiB.
        if (length === 0) {
          failure = encryptionError("InvalidLength", "Encrypted package with length 0")
          throw failure
        }
        if (length > maxPackageBytes) {
          failure = encryptionError(
            "Oversized",
            `Encrypted package of ${length} bytes exceeds the limit of ${maxPackageBytes}`
          )
          throw failure
        }
        body = Buffer.allocUnsafe(length)
        bodyFill = 0
      }
      const n = Math.min(body.length - bodyFill, chunk.length - pos)
      body.set(chunk.subarray(pos, pos + n), bodyFill)
      bodyFill += n
      pos += n
      if (bodyFill === body.length) {
        const plain = cfb.decrypt(body)
        out.push(new Uint8Array(plain.buffer, plain.byteOffset, plain.length))
        body = undefined
        headerFill = 0
      }
    }
    return out
  }

  return {
    push,
    get buffered() {
      return headerFill + (body === undefined ? 0 : bodyFill)
    }
  }
}

// ---------------------------------------------------------------------------------------
// The `*key` quest payload (§12.3)

/** Payload of the client's `*key` quest, in the Node SDK's key order. */
export const keyQuestPayload = (publicKeyXY: Uint8Array, mode: Mode, strength: Strength): KeyQuestPayload => {
  checkMode(mode)
  checkStrength(strength)
  return { publicKey: publicKeyXY, streamMode: mode === "stream", bits: strength }
}

const badQuest = (message: string): never => {
  throw encryptionError("InvalidKeyQuest", message)
}

const field = (payload: object, name: string): unknown =>
  payload instanceof Map ? payload.get(name) : (payload as Record<string, unknown>)[name]

/**
 * Reads a decoded `*key` quest payload on the server. `publicKey` may be bin or str (the C++
 * client sends str8: each char code is one byte, so the decoder must not UTF-8-decode it
 * lossily); `streamMode` defaults to false, `bits` to 128. The key length is checked by
 * `serverKeyExchange`, which knows the curve.
 */
export const parseKeyQuestPayload = (payload: unknown): ParsedKeyQuest => {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return badQuest("*key payload must be a map")
  }
  const rawKey = field(payload, "publicKey")
  let publicKey: Uint8Array
  if (rawKey instanceof Uint8Array) {
    publicKey = new Uint8Array(rawKey)
  } else if (typeof rawKey === "string") {
    // eslint-disable-next-line no-control-regex
    if (/[^\u0000-\u00ff]/.test(rawKey)) {
      return badQuest("*key publicKey string has characters above 0xFF (was it UTF-8 decoded?)")
    }
    publicKey = new Uint8Array(Buffer.from(rawKey, "latin1"))
  } else {
    return badQuest("*key publicKey is missing or not bin/str")
  }
  const streamMode = field(payload, "streamMode")
  if (streamMode !== undefined && streamMode !== null && typeof streamMode !== "boolean") {
    return badQuest("*key streamMode must be a boolean")
  }
  const bits = field(payload, "bits")
  let strength: Strength
  if (bits === undefined || bits === null) strength = 128
  else if (bits === 128 || bits === 128n) strength = 128
  else if (bits === 256 || bits === 256n) strength = 256
  else throw encryptionError("InvalidBits", `*key bits must be 128 or 256, got ${String(bits)}`)
  return { publicKey, mode: streamMode === true ? "stream" : "package", strength }
}

/**
 * The raw bytes of the `publicKey` value in a `*key` quest's msgpack payload, when it is a
 * str or bin; `undefined` when absent or of another type. The C++ client sends the key as
 * str8 of raw bytes (§12.3), which the payload codec decodes as UTF-8 — lossy for bytes
 * ≥ 0x80 (they become U+FFFD) — so the server reads this one value from the frame itself.
 * Walks only the top-level map; nested values are skipped iteratively (no recursion).
 */
export const keyQuestPublicKeyBytes = (payload: Uint8Array): Uint8Array | undefined => {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const truncated = (): never => badQuest("*key payload is truncated msgpack")
  const u8 = (at: number) => (at < payload.length ? payload[at]! : truncated())
  const u16 = (at: number) => (at + 2 <= payload.length ? view.getUint16(at) : truncated())
  const u32 = (at: number) => (at + 4 <= payload.length ? view.getUint32(at) : truncated())
  /** Header of the value at `at`: where its body starts, its byte length, and child values. */
  const header = (at: number): { body: number; bytes: number; children: number; raw: boolean } => {
    const t = u8(at)
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return { body: at + 1, bytes: 0, children: 0, raw: false }
    if (t <= 0x8f) return { body: at + 1, bytes: 0, children: 2 * (t & 0x0f), raw: false }
    if (t <= 0x9f) return { body: at + 1, bytes: 0, children: t & 0x0f, raw: false }
    if (t <= 0xbf) return { body: at + 1, bytes: t & 0x1f, children: 0, raw: true }
    switch (t) {
      case 0xc4: case 0xd9: return { body: at + 2, bytes: u8(at + 1), children: 0, raw: true }
      case 0xc5: case 0xda: return { body: at + 3, bytes: u16(at + 1), children: 0, raw: true }
      case 0xc6: case 0xdb: return { body: at + 5, bytes: u32(at + 1), children: 0, raw: true }
      case 0xc7: return { body: at + 3, bytes: u8(at + 1), children: 0, raw: false }
      case 0xc8: return { body: at + 4, bytes: u16(at + 1), children: 0, raw: false }
      case 0xc9: return { body: at + 6, bytes: u32(at + 1), children: 0, raw: false }
      case 0xca: case 0xce: case 0xd2: return { body: at + 5, bytes: 0, children: 0, raw: false }
      case 0xcb: case 0xcf: case 0xd3: return { body: at + 9, bytes: 0, children: 0, raw: false }
      case 0xcc: case 0xd0: return { body: at + 2, bytes: 0, children: 0, raw: false }
      case 0xcd: case 0xd1: return { body: at + 3, bytes: 0, children: 0, raw: false }
      case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        return { body: at + 2, bytes: 1 << (t - 0xd4), children: 0, raw: false }
      case 0xdc: return { body: at + 3, bytes: 0, children: u16(at + 1), raw: false }
      case 0xdd: return { body: at + 5, bytes: 0, children: u32(at + 1), raw: false }
      case 0xde: return { body: at + 3, bytes: 0, children: 2 * u16(at + 1), raw: false }
      case 0xdf: return { body: at + 5, bytes: 0, children: 2 * u32(at + 1), raw: false }
      default: return badQuest(`*key payload has the reserved msgpack byte 0x${t.toString(16)}`)
    }
  }
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
    const key = header(pos)
    const keyEnd = skip(pos)
    const isName = key.raw && Buffer.from(payload.subarray(key.body, keyEnd)).toString("latin1") === "publicKey"
    const value = header(keyEnd)
    const valueEnd = skip(keyEnd)
    if (isName && value.raw) return payload.slice(value.body, valueEnd)
    pos = valueEnd
  }
  return undefined
}
