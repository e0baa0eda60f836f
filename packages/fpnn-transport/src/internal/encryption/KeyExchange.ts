/** The ECDH key exchange and the session key/IV derivation (FPNN.md §12.3, §12.4). */
import { createECDH, createHash, type ECDH } from "node:crypto"
import { checkStrength, type Curve, curveInfo, leftPad, type Strength, toBuffer } from "./Curve.js"
import { encryptionError } from "./EncryptionError.js"
import { checkScalar, normalizePoint, type ServerPrivateKey, type ServerPublicKey } from "./Keys.js"

export interface SessionKeys {
  readonly key: Uint8Array
  readonly iv: Uint8Array
}

export interface ClientKeyExchange extends SessionKeys {
  /** X || Y without the 0x04 prefix (2 * L bytes): the `publicKey` of the `*key` quest. */
  readonly publicKeyXY: Uint8Array
}

/** §12.4: IV = MD5(S); key = S[0..16] (128) or S / SHA-256(S) when L ≠ 32 (256). */
export const deriveSessionKeys = (secret: Uint8Array, strength: Strength): SessionKeys => {
  checkStrength(strength)
  const iv = new Uint8Array(createHash("md5").update(secret).digest())
  const key = strength === 128
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
