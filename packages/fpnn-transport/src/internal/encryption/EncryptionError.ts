/** The error of the encryption functions, and its reasons. */
import { Schema } from "effect"
import { type Reason, reasonCache, ReasonSchema } from "../../Errors.js"

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

export const encryptionError = (reason: EncryptionErrorReasonName, detail: string, options?: { cause?: unknown }) =>
  new EncryptionError(
    options?.cause === undefined
      ? { reason: encryptionReasons[reason], detail }
      : { reason: encryptionReasons[reason], detail, cause: options.cause },
    { disableChecks: true }
  )
