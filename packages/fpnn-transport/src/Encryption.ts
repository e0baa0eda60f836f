/**
 * FPNN connection encryption (FPNN.md §12): ECDH key exchange, key/IV derivation and
 * AES-CFB128 framing in package and stream mode. Pure, synchronous, `node:crypto` only;
 * the connection code plugs these into its read/write paths. The functions throw
 * `EncryptionError` on key material or bytes they cannot use.
 */
export {
  type Decryptor,
  DEFAULT_MAX_PACKAGE_BYTES,
  makeDecryptor,
  makeEncryptor
} from "./internal/encryption/Cipher.js"
export { type Curve, CURVE_NAMES, DEFAULT_CURVE, type Mode, type Strength } from "./internal/encryption/Curve.js"
export {
  EncryptionError,
  type EncryptionErrorReason,
  type EncryptionErrorReasonName,
  encryptionErrorReasons
} from "./internal/encryption/EncryptionError.js"
export {
  type ClientKeyExchange,
  clientKeyExchange,
  deriveSessionKeys,
  serverKeyExchange,
  type SessionKeys
} from "./internal/encryption/KeyExchange.js"
export {
  type KeyQuestPayload,
  keyQuestPayload,
  type ParsedKeyQuest,
  parseKeyQuestPayload
} from "./internal/encryption/KeyQuest.js"
export {
  type GeneratedKeyPair,
  generateKeyPair,
  parseServerPrivateKey,
  parseServerPublicKey,
  type ServerPrivateKey,
  type ServerPublicKey
} from "./internal/encryption/Keys.js"
