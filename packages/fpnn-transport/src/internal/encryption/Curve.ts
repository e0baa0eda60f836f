/** The supported curves, strengths and modes, and the byte helpers every encryption module shares. */
import { encryptionError } from "./EncryptionError.js"

export type Curve = "secp256k1" | "secp256r1" | "secp224r1" | "secp192r1"
export type Strength = 128 | 256
export type Mode = "package" | "stream"

export const DEFAULT_CURVE: Curve = "secp256k1"

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

export const curveInfo = (curve: Curve): CurveInfo => {
  // Guards against untyped callers (config files, CLI flags).
  if (!Object.prototype.hasOwnProperty.call(CURVES, curve)) {
    throw encryptionError("UnknownCurve", `Unsupported curve ${JSON.stringify(curve)}`)
  }
  return CURVES[curve]
}

export const curveFromOid = (oid: string): Curve => {
  for (const name of CURVE_NAMES) if (CURVES[name].oid === oid) return name
  throw encryptionError("UnknownCurve", `Unsupported EC named-curve OID ${oid}`)
}

export const checkStrength = (strength: Strength): void => {
  if (strength !== 128 && strength !== 256) {
    throw encryptionError("InvalidStrength", `AES strength must be 128 or 256, got ${String(strength)}`)
  }
}

export const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

export const leftPad = (bytes: Uint8Array, size: number): Uint8Array => {
  if (bytes.length >= size) return bytes
  const out = new Uint8Array(size)
  out.set(bytes, size - bytes.length)
  return out
}

export const checkMode = (mode: Mode): void => {
  if (mode !== "package" && mode !== "stream") {
    throw encryptionError("InvalidMode", `Mode must be "package" or "stream", got ${String(mode)}`)
  }
}
