/**
 * Minimal DER reader: only what SPKI / PKCS#8 EC keys need. Hand-rolled because Node's JWK
 * export rejects secp224r1/secp192r1 and its public-key import hides which OID was unknown.
 */
import { type Curve, curveFromOid } from "./Curve.js"
import { encryptionError } from "./EncryptionError.js"

const ID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"

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
  return curveFromOid(
    decodeOid(expectTag(params, 0x06, "named-curve OID (explicit curve parameters are not supported)"))
  )
}

export const parseSpkiDer = (der: Uint8Array): { curve: Curve; point: Uint8Array } => {
  const outer = readTlv(der, 0)
  if (outer.tag !== 0x30 || outer.end !== der.length) return derFail("SubjectPublicKeyInfo is not one SEQUENCE")
  const [alg, key] = readSequence(outer.value)
  const curve = readEcAlgorithm(alg)
  const bits = expectTag(key, 0x03, "BIT STRING")
  if (bits[0] !== 0) return derFail("BIT STRING with unused bits")
  return { curve, point: bits.subarray(1) }
}

/** PKCS#8 { version, AlgorithmIdentifier, OCTET STRING { ECPrivateKey } } → curve + scalar. */
export const parsePkcs8Der = (der: Uint8Array): { curve: Curve; scalar: Uint8Array } => {
  const outer = readTlv(der, 0)
  if (outer.tag !== 0x30) return derFail("PrivateKeyInfo is not a SEQUENCE")
  const [, alg, octets] = readSequence(outer.value)
  const curve = readEcAlgorithm(alg)
  const ecKey = readTlv(expectTag(octets, 0x04, "privateKey OCTET STRING"), 0)
  const [, scalar] = readSequence(expectTag(ecKey, 0x30, "ECPrivateKey"))
  return { curve, scalar: expectTag(scalar, 0x04, "private scalar OCTET STRING") }
}
