/**
 * The failures of a voice-room call, besides the transport's own
 * (`FpnnConnectionError`, `FpnnTimeoutError`, `FpnnProtocolError`, which keep their tags):
 *
 * - `VoiceRoomValidationError`: an argument was rejected before anything was sent;
 * - `RtmError`: the gateway answered with an error (RTM code or FPNN framework code);
 * - `VoiceRoomDecodeError`: the gateway answered OK with a map that does not fit.
 *
 * None of them carries the project secret or the request signature: messages are built
 * from the operation, the parameter and the server's `ex` text only.
 */
import type { FpnnConnectionError, FpnnProtocolError, FpnnRemoteError, FpnnTimeoutError } from "@rtm-voice/fpnn-transport"
import { Data } from "effect"

/** An argument that cannot be sent: wrong type, not an int64, empty list... */
export class VoiceRoomValidationError extends Data.TaggedError("VoiceRoomValidationError")<{
  /** The operation, e.g. `pullUserIntoVoiceRoom`. */
  readonly operation: string
  /** The offending parameter as named in the API, e.g. `roomId`, `uids[2]`. */
  readonly parameter: string
  readonly message: string
}> {}

/** An OK answer whose map does not match the operation's answer schema. */
export class VoiceRoomDecodeError extends Data.TaggedError("VoiceRoomDecodeError")<{
  readonly operation: string
  /** The wire method that was called. */
  readonly method: string
  /** Path of the first bad field in the answer, e.g. `uids[1]`, `count`; `""` for the root. */
  readonly field: string
  readonly message: string
}> {}

/**
 * Named reasons for the error codes of the RTM gateway (RTM-VOICE.md §3.1, Go names
 * without the `RTM_EC_` prefix, in PascalCase) and of the FPNN framework (FPNN.md §11).
 */
export const rtmCodes = {
  200001: "InvalidProjectOrUser",
  200002: "InvalidSignature",
  200003: "InvalidFileOrSignOrToken",
  200004: "AttrsWithoutSignOrExt",
  200005: "InvalidMessageType",
  200006: "ReplayedSignature",
  200007: "InvalidFileMessageType",
  200008: "InvalidServerTime",
  200010: "FrequencyLimited",
  200011: "MessageFrequencyLimited",
  200012: "KickoutSelf",
  200020: "ForbiddenMethod",
  200021: "PermissionDenied",
  200022: "Unauthorized",
  200023: "DuplicatedAuth",
  200024: "AuthDenied",
  200025: "AdminLogin",
  200026: "AdminOnly",
  200027: "InvalidAuthToken",
  200030: "LargeMessageOrAttrs",
  200031: "LargeFileOrAttrs",
  200032: "TooManyItems",
  200033: "EmptyParameter",
  200034: "InvalidParameter",
  200040: "NotInRoom",
  200041: "NotGroupMember",
  200042: "MaxGroupMemberCount",
  200043: "NotFriend",
  200044: "BannedInGroup",
  200045: "BannedInRoom",
  200046: "EmptyGroup",
  200047: "MaxRoomCount",
  200048: "MaxFriendCount",
  200049: "BlockedUser",
  200050: "UnsupportedLanguage",
  200051: "EmptyTranslation",
  200052: "SendToSelf",
  200053: "DuplicatedMid",
  200054: "SensitiveWords",
  200055: "NotOnline",
  200056: "TranslationError",
  200057: "ProfanityStop",
  200060: "NoConfigInConsole",
  200061: "UnsupportedTranscribeType",
  200070: "MessageNotFound",
  200999: "ServerUnknownError",
  // FPNN framework codes the gateway (or a proxy in front of it) can answer with.
  10001: "ProtoUnknownError",
  10002: "ProtoNotSupported",
  10003: "InvalidPackage",
  10004: "JsonConvert",
  10005: "NonStringKey",
  10006: "NotAMap",
  10007: "WrongMessageType",
  10008: "UnsupportedProtoType",
  10009: "MissingField",
  10010: "WrongFieldType",
  10011: "InvalidFileSign",
  10012: "FileNotExist",
  20001: "ServerInternalError",
  20002: "ConnectionClosed",
  20003: "ServerTimeout",
  20004: "UnknownMethod",
  20005: "EncodingError",
  20006: "DecodingError",
  20007: "SendError",
  20008: "ReceiveError",
  20009: "CoreInvalidPackage",
  20010: "HttpError",
  20011: "WorkQueueFull",
  20012: "InvalidConnection",
  20013: "Forbidden",
  20014: "ServerStopping",
  20015: "Cancelled",
  30001: "ZipCompress",
  30002: "ZipDecompress"
} as const

export type RtmErrorReason = (typeof rtmCodes)[keyof typeof rtmCodes] | "Unknown"

/** The code of each named reason (reverse of `rtmCodes`). */
export const rtmCodeOf: { readonly [R in Exclude<RtmErrorReason, "Unknown">]: number } = Object.fromEntries(
  Object.entries(rtmCodes).map(([code, reason]) => [reason, Number(code)])
) as never

/** The reason for a numeric code; `"Unknown"` for codes outside both tables. */
export const reasonOf = (code: number): RtmErrorReason =>
  (rtmCodes as Readonly<Record<number, RtmErrorReason>>)[code] ?? "Unknown"

/**
 * Codes that describe a transient condition on the gateway's side: trying again later
 * may succeed. Rate limits, a full or stopping server, and the server-side timeout or
 * lost connection a proxy in front of the gateway reports.
 */
const transientCodes: ReadonlySet<number> = new Set([200010, 200011, 20002, 20003, 20011, 20012, 20014])

/** The gateway answered with an error. `code` and `ex` are kept verbatim. */
export class RtmError extends Data.TaggedError("RtmError")<{
  readonly reason: RtmErrorReason
  readonly code: number
  readonly ex: string
  /** The operation, e.g. `getVoiceRoomMembers`. */
  readonly operation: string
  /** The wire method that was called, e.g. `getRTCRoomMembers`. */
  readonly method: string
  readonly raiser?: string | undefined
  readonly message: string
}> {
  /** True when the same request may succeed later (rate limit, busy or stopping server). */
  get isRetryable(): boolean {
    return transientCodes.has(this.code)
  }
}

export const rtmErrorFromRemote = (operation: string, error: FpnnRemoteError): RtmError => {
  const reason = reasonOf(error.code)
  return new RtmError({
    reason,
    code: error.code,
    ex: error.ex,
    operation,
    method: error.method,
    raiser: error.raiser,
    message: `${operation} (${error.method}) failed with ${reason} (${error.code}): ${error.ex}`
  })
}

/** Every failure of a voice-room call. */
export type VoiceRoomError =
  | VoiceRoomValidationError
  | VoiceRoomDecodeError
  | RtmError
  | FpnnConnectionError
  | FpnnTimeoutError
  | FpnnProtocolError

/** Failures that are safe and sensible to retry for a read: transient gateway errors,
 * timeouts, and a connection that was lost or could not be made. Never applied to writes. */
export const isRetryable = (error: VoiceRoomError): boolean => {
  switch (error._tag) {
    case "RtmError":
      return error.isRetryable
    case "FpnnTimeoutError":
      return true
    case "FpnnConnectionError":
      return error.reason === "Closed" || error.reason === "Refused" || error.reason === "ConnectTimeout" ||
        error.reason === "KeepaliveTimeout"
    default:
      return false
  }
}
