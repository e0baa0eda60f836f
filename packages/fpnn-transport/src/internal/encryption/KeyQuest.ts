/** The `*key` quest that opens an encrypted connection (FPNN.md §12.3). */
import { rawMapValue } from "../codec/MsgpackScan.js"
import { checkMode, checkStrength, type Mode, type Strength } from "./Curve.js"
import { encryptionError } from "./EncryptionError.js"

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
 * str8 of raw bytes (§12.3), which the payload codec decodes lossily, so the server reads
 * this one value from the frame itself.
 */
export const keyQuestPublicKeyBytes = (payload: Uint8Array): Uint8Array | undefined =>
  rawMapValue(payload, "publicKey", (what) => badQuest(`*key payload ${what}`))
