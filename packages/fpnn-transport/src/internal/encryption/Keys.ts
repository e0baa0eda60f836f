/** Parsing the server's public and private keys in every form FPNN deployments use, and key generation. */
import { createECDH, createPrivateKey, ECDH, generateKeyPairSync, type KeyObject } from "node:crypto"
import { type Curve, curveInfo, DEFAULT_CURVE, leftPad, toBuffer } from "./Curve.js"
import { parsePkcs8Der, parseSpkiDer } from "./Der.js"
import { EncryptionError, encryptionError } from "./EncryptionError.js"

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
export const normalizePoint = (point: Uint8Array, curve: Curve): Uint8Array => {
  const { node, size } = curveInfo(curve)
  const prefix = point[0]
  const ok = (point.length === 2 * size + 1 && prefix === 0x04) ||
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
      `Public key of ${bytes.length} bytes is neither DER SPKI nor a raw ${c} point (${2 * size + 1}, ${2 * size} or ${
        size + 1
      } bytes)`
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
export const checkScalar = (scalar: Uint8Array, curve: Curve): Uint8Array => {
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
  const key = importPrivateKey({ key: buf, format: "der", type: "pkcs8" }) ??
    importPrivateKey({ key: buf, format: "der", type: "sec1" })
  if (key === undefined) {
    throw encryptionError(
      "InvalidKeyFormat",
      `Private key of ${bytes.length} bytes is neither DER (SEC1/PKCS#8) nor a raw ${c} scalar (${
        curveInfo(c).size
      } bytes)`
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
