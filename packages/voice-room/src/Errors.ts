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
import {
  fpnnCodeOf,
  fpnnCodes,
  type FpnnConnectionError,
  FpnnOptionsError,
  type FpnnProtocolError,
  type FpnnRemoteError,
  type FpnnTimeoutError,
  optionsErrorReasons,
  type Reason,
  reasonCache,
  ReasonSchema
} from "@rtm-voice/fpnn-transport"
import { Schema } from "effect"

// Errors are made on failure paths; the fields are typed here, so no re-validation.
const trusted = { disableChecks: true } as const

/** An argument that cannot be sent: wrong type, not an int64, empty list... Never sent. */
export class VoiceRoomValidationError extends Schema.TaggedError<VoiceRoomValidationError>()(
  "VoiceRoomValidationError",
  {
    /** The operation, e.g. `pullUserIntoVoiceRoom`. */
    operation: Schema.String,
    /** The offending parameter as named in the API, e.g. `roomId`, `uids[2]`. */
    parameter: Schema.String,
    /** What is wrong with it, prefixed by the operation (the validators word it per parameter kind). */
    message: Schema.String
  }
) {
  get sent(): false {
    return false
  }
}

/** An OK answer whose map does not match the operation's answer schema. The quest was sent. */
export class VoiceRoomDecodeError extends Schema.TaggedError<VoiceRoomDecodeError>()("VoiceRoomDecodeError", {
  operation: Schema.String,
  /** The wire method that was called. */
  method: Schema.String,
  /** Path of the first bad field in the answer, e.g. `uids[1]`, `count`; `""` for the root. */
  field: Schema.String,
  /** What the schema said about it. */
  detail: Schema.String
}) {
  get sent(): true {
    return true
  }
  override get message(): string {
    return `${this.operation} (${this.method}): the answer does not match the expected shape at ` +
      `${this.field === "" ? "the root" : JSON.stringify(this.field)}: ${this.detail}`
  }
}

export const decodeError = (operation: string, method: string, field: string, detail: string): VoiceRoomDecodeError =>
  new VoiceRoomDecodeError({ operation, method, field, detail }, trusted)

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
  ...fpnnCodes
} as const

export type RtmErrorReasonName = (typeof rtmCodes)[keyof typeof rtmCodes] | "Unknown"
/** The reason of an `RtmError` as a tagged value: `error.reason._tag === "NotInRoom"`. */
export type RtmErrorReason = Reason<RtmErrorReasonName>

export const rtmErrorReasons: ReadonlyArray<RtmErrorReasonName> = [...new Set(Object.values(rtmCodes)), "Unknown"]
const rtmReasons = reasonCache(rtmErrorReasons)

const reasonByCode: ReadonlyMap<number, RtmErrorReasonName> = new Map(
  Object.entries(rtmCodes).map(([code, reason]) => [Number(code), reason])
)

/** The code of each named reason (reverse of `rtmCodes`). */
export const rtmCodeOf: { readonly [R in Exclude<RtmErrorReasonName, "Unknown">]: number } =
  // Object.fromEntries types its result as a string-keyed record; its entries are every
  // name of `rtmCodes` with its code, which is what the annotation says.
  Object.fromEntries([...reasonByCode].map(([code, reason]) => [reason, code])) as never

/** The reason name for a numeric code; `"Unknown"` for codes outside both tables. */
export const reasonOf = (code: number): RtmErrorReasonName => reasonByCode.get(code) ?? "Unknown"

/**
 * Codes that describe a transient condition on the gateway's side: trying again later
 * may succeed. Rate limits, a full or stopping server, and the server-side timeout or
 * lost connection a proxy in front of the gateway reports.
 */
const transientCodes: ReadonlySet<number> = new Set([
  rtmCodeOf.FrequencyLimited,
  rtmCodeOf.MessageFrequencyLimited,
  fpnnCodeOf.ConnectionClosed,
  fpnnCodeOf.ServerTimeout,
  fpnnCodeOf.WorkQueueFull,
  fpnnCodeOf.InvalidConnection,
  fpnnCodeOf.ServerStopping
])

/**
 * The gateway answered with an error. `code` and `ex` are kept verbatim; `reason` is
 * derived from `code` (so they cannot disagree). The quest was sent: `sent` is true.
 */
export class RtmError extends Schema.TaggedError<RtmError>()("RtmError", {
  reason: ReasonSchema(rtmErrorReasons),
  code: Schema.Number,
  ex: Schema.String,
  /** The operation, e.g. `getVoiceRoomMembers`. */
  operation: Schema.String,
  /** The wire method that was called, e.g. `getRTCRoomMembers`. */
  method: Schema.String,
  raiser: Schema.optional(Schema.UndefinedOr(Schema.String))
}) {
  /** An answer came back: the quest was written. */
  get sent(): true {
    return true
  }
  /** True when the same request may succeed later (rate limit, busy or stopping server). */
  get isRetryable(): boolean {
    return transientCodes.has(this.code)
  }
  override get message(): string {
    return `${this.operation} (${this.method}) failed with ${this.reason._tag} (${this.code}): ${this.ex}`
  }
  override get name(): string {
    return `RtmError.${this.reason._tag}`
  }

  /** An `RtmError` for a code (tests, fakes): the reason is derived from the code. */
  static fromCode(
    code: number,
    ex = "",
    fields?: { readonly operation?: string; readonly method?: string; readonly raiser?: string | undefined }
  ): RtmError {
    return new RtmError({
      reason: rtmReasons[reasonOf(code)],
      code,
      ex,
      operation: fields?.operation ?? "unknown",
      method: fields?.method ?? fields?.operation ?? "unknown",
      raiser: fields?.raiser
    }, trusted)
  }
}

export const rtmErrorFromRemote = (operation: string, error: FpnnRemoteError): RtmError =>
  RtmError.fromCode(error.code, error.ex, { operation, method: error.method, raiser: error.raiser })

// ---------------------------------------------------------------------------------------
// Options

export type VoiceRoomOptionsErrorReasonName = (typeof optionsErrorReasons)[number]
export type VoiceRoomOptionsErrorReason = Reason<VoiceRoomOptionsErrorReasonName>
const optionsReasons = reasonCache(optionsErrorReasons)

// The same rejection as the transport's `FpnnOptionsError` (the same option, reason and
// detail fields), under the client's own tag.
const { _tag: _transportTag, ...transportOptionsFields } = FpnnOptionsError.fields
const optionsErrorFields: Readonly<typeof transportOptionsFields> = transportOptionsFields

/**
 * An option of the voice-room client (or of its transport, under `transport.`) was
 * rejected when the Layer was built, before any fiber or socket existed. `option` names
 * it as the caller wrote it: `pid`, `timeout`, `transport.encryption.serverKey`, or an
 * environment variable (`RTM_TIMEOUT`) for `layerConfig`. Never sent.
 */
export class VoiceRoomOptionsError extends Schema.TaggedError<VoiceRoomOptionsError>()(
  "VoiceRoomOptionsError",
  optionsErrorFields
) {
  get sent(): false {
    return false
  }
  override get message(): string {
    return `VoiceRoomClient: invalid option ${this.option}: ${this.detail}`
  }
  override get name(): string {
    return `VoiceRoomOptionsError.${this.reason._tag}`
  }
}

export const voiceRoomOptionsError = (
  option: string,
  reason: VoiceRoomOptionsErrorReasonName,
  detail: string
): VoiceRoomOptionsError => new VoiceRoomOptionsError({ option, reason: optionsReasons[reason], detail }, trusted)

/**
 * A file named by the configuration (the server key, `RTM_SERVER_KEY`) could not be
 * read: an I/O failure, not a bad value. `cause` is the FileSystem's error.
 */
export class VoiceRoomConfigFileError extends Schema.TaggedError<VoiceRoomConfigFileError>()(
  "VoiceRoomConfigFileError",
  {
    option: Schema.String,
    path: Schema.String,
    detail: Schema.String,
    cause: Schema.optional(Schema.Defect())
  }
) {
  get sent(): false {
    return false
  }
  override get message(): string {
    return `VoiceRoomClient: cannot read the file ${this.path} (${this.option}): ${this.detail}`
  }
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
      return error.reason._tag === "Closed" || error.reason._tag === "Refused" ||
        error.reason._tag === "ConnectTimeout" || error.reason._tag === "KeepaliveTimeout"
    default:
      return false
  }
}
