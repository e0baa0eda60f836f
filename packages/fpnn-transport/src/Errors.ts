/**
 * The failures a caller of the transport can `catchTag` / `catchReason`. Every class is
 * a Schema tagged error (it serialises); `reason`, where there is one, is a tagged value
 * (`error.reason._tag === "Refused"`), so `Effect.catchReason("FpnnConnectionError",
 * "Refused", ...)` works. `message` is derived from the fields, in this module only.
 *
 * Every failure of a call says whether its quest was written to the socket (`sent`):
 * `false` means nothing left the process, so the call cannot have taken effect and may
 * be repeated as is; `true` means the outcome is unknown (a write should be checked
 * before it is repeated).
 */
import { Schema } from "effect"
import { connectionMessage } from "./internal/errors/ConnectionMessage.js"

/** A reason as a tagged value: `{ _tag: "Refused" }`. Distributes over a union of names. */
export type Reason<T extends string> = T extends string ? { readonly _tag: T } : never

/** The schema of a tagged reason among `tags`. */
export const ReasonSchema = <const T extends ReadonlyArray<string>>(
  tags: T
): Schema.Codec<Reason<T[number]>> => Schema.Struct({ _tag: Schema.Literals(tags) }) as never

/** The tagged value of a reason name. Shared per name, so making an error allocates no reason. */
export const reasonCache = <T extends string>(tags: ReadonlyArray<T>): { readonly [K in T]: Reason<K> } =>
  Object.fromEntries(tags.map((t) => [t, Object.freeze({ _tag: t })])) as never

/** `exception.type` in traces (the OTLP exporter reads `name`): the tag and the reason. */
const nameOf = (tag: string, reason: { readonly _tag: string }): string => `${tag}.${reason._tag}`

// Errors are made on failure paths that may be hot (a timeout storm): the fields are
// built by this module with the right types, so the constructors skip re-validation.
const trusted = { disableChecks: true } as const

// ---------------------------------------------------------------------------------------
// Protocol

export const protocolErrorReasons = [
  "BadMagic",
  "UnsupportedVersion",
  "UnsupportedFlag",
  "UnsupportedType",
  "EmptyMethod",
  "Oversized",
  "BadPayload",
  "Encode"
] as const

/**
 * Bytes that are not valid FPNN. Raised for malformed frames received from a peer (the
 * connection is then closed, since the byte stream can no longer be trusted) and for
 * values that cannot be encoded or frames over the limit (nothing is sent).
 */
export class FpnnProtocolError extends Schema.TaggedError<FpnnProtocolError>()("FpnnProtocolError", {
  reason: ReasonSchema(protocolErrorReasons),
  detail: Schema.String,
  /** Whether the quest was written: false for a quest that could not be encoded or was too large. */
  sent: Schema.Boolean
}) {
  override get message(): string {
    return `FPNN protocol error (${this.reason._tag}): ${this.detail}`
  }
  override get name(): string {
    return nameOf(this._tag, this.reason)
  }
}

/** Why a frame or payload was rejected. */
export type ProtocolErrorReasonName = (typeof protocolErrorReasons)[number]
export type ProtocolErrorReason = Reason<ProtocolErrorReasonName>
const protocolReasons = reasonCache(protocolErrorReasons)

export const protocolError = (reason: ProtocolErrorReasonName, detail: string, sent = false): FpnnProtocolError =>
  new FpnnProtocolError({ reason: protocolReasons[reason], detail, sent }, trusted)

// ---------------------------------------------------------------------------------------
// Connection

export const connectionErrorReasons = [
  /** Nothing listens at the endpoint (ECONNREFUSED). */
  "Refused",
  /** The host name could not be resolved. */
  "Unresolved",
  /** The TCP connect (plus key exchange, when encrypted) did not finish in time. */
  "ConnectTimeout",
  /** The peer closed the connection, or it was reset, while calls were pending. */
  "Closed",
  /** Keep-alive pings went unanswered: the peer is silent or the link is dead. */
  "KeepaliveTimeout",
  /** The peer stopped reading: more than `maxQueuedBytes` waited to be sent. */
  "Stalled",
  /** The peer sent bytes that are not FPNN; the connection was closed. */
  "ProtocolViolation",
  /** The encrypted handshake failed, or received bytes did not decrypt to FPNN (wrong key, peer without encryption). */
  "Encryption",
  /** The client was shut down (its Layer's scope closed). */
  "Shutdown",
  /** Any other socket failure. */
  "Unknown"
] as const

/**
 * The connection failed, was lost, or was never established. Never resent implicitly.
 * `detail` holds the facts of the failure site (an errno, a limit, a duration);
 * `retryInMillis` is set when the call failed at once because reconnecting is backed off.
 */
export class FpnnConnectionError extends Schema.TaggedError<FpnnConnectionError>()("FpnnConnectionError", {
  reason: ReasonSchema(connectionErrorReasons),
  endpoint: Schema.String,
  /** Whether the call's quest was written to the socket before the connection failed. */
  sent: Schema.Boolean,
  detail: Schema.optional(Schema.String),
  retryInMillis: Schema.optional(Schema.Number),
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    return connectionMessage(this.reason._tag, this)
  }
  override get name(): string {
    return nameOf(this._tag, this.reason)
  }
}

/** Why a connection could not be used. */
export type ConnectionErrorReasonName = (typeof connectionErrorReasons)[number]
export type ConnectionErrorReason = Reason<ConnectionErrorReasonName>
const connectionReasons = reasonCache(connectionErrorReasons)

export interface ConnectionErrorFields {
  readonly endpoint: string
  readonly sent: boolean
  readonly detail?: string | undefined
  readonly retryInMillis?: number | undefined
  readonly cause?: unknown
}

export const connectionError = (
  reason: ConnectionErrorReasonName,
  fields: ConnectionErrorFields
): FpnnConnectionError => new FpnnConnectionError({ ...fields, reason: connectionReasons[reason] }, trusted)

/** The same failure, as seen by a call whose quest was (or was not) written. */
export const withSent = (error: FpnnConnectionError, sent: boolean): FpnnConnectionError =>
  error.sent === sent
    ? error
    : connectionError(error.reason._tag, {
      endpoint: error.endpoint,
      sent,
      detail: error.detail,
      retryInMillis: error.retryInMillis,
      cause: error.cause
    })

// ---------------------------------------------------------------------------------------
// Timeout

/** A twoway quest got no answer within its timeout. The connection stays usable. */
export class FpnnTimeoutError extends Schema.TaggedError<FpnnTimeoutError>()("FpnnTimeoutError", {
  method: Schema.String,
  endpoint: Schema.String,
  timeoutMillis: Schema.Number,
  /** false: the timeout ran out before the quest was written (still connecting). */
  sent: Schema.Boolean
}) {
  override get message(): string {
    return `${this.method} got no answer from ${this.endpoint} within ${this.timeoutMillis} ms; ` +
      (this.sent
        ? "it may still take effect on the server. The connection stays usable"
        : "it was not sent (the connection was not ready in time), so it did not take effect")
  }
}

/** The error of a call that got no answer in time (the client's and the connection's). */
export const timeoutError = (
  method: string,
  endpoint: string,
  timeoutMillis: number,
  sent: boolean
): FpnnTimeoutError => new FpnnTimeoutError({ method, endpoint, timeoutMillis, sent }, trusted)

// ---------------------------------------------------------------------------------------
// Remote

/**
 * The peer answered with an FPNN error answer (status ≠ 0): `code` is an FPNN code
 * (10001-30002) or an application code (RTM: 200001-200999), `ex` the peer's text,
 * `raiser` the component that raised it when the peer names one. Always sent.
 */
export class FpnnRemoteError extends Schema.TaggedError<FpnnRemoteError>()("FpnnRemoteError", {
  method: Schema.String,
  code: Schema.Number,
  ex: Schema.String,
  raiser: Schema.optional(Schema.String)
}) {
  /** An answer came back: the quest was written. */
  get sent(): true {
    return true
  }
  override get message(): string {
    return `${this.method} failed with error ${this.code}: ${this.ex}` +
      (this.raiser === undefined ? "" : ` (raised by ${this.raiser})`)
  }
}

export const remoteError = (method: string, code: number, ex: string, raiser?: string): FpnnRemoteError =>
  new FpnnRemoteError(raiser === undefined ? { method, code, ex } : { method, code, ex, raiser }, trusted)

/**
 * What a server handler fails with to send an FPNN error answer `{code, ex[, raiser]}`
 * to the caller (FPNN.md §4). `code` is an FPNN or application (RTM) error code.
 */
export class FpnnErrorAnswer extends Schema.TaggedError<FpnnErrorAnswer>()("FpnnErrorAnswer", {
  code: Schema.Number,
  ex: Schema.String,
  raiser: Schema.optional(Schema.UndefinedOr(Schema.String))
}) {
  override get message(): string {
    return `error answer ${this.code}: ${this.ex}`
  }
}

/** Every error a twoway call can fail with. */
export type FpnnCallError = FpnnConnectionError | FpnnTimeoutError | FpnnRemoteError | FpnnProtocolError

// ---------------------------------------------------------------------------------------
// Options

export const optionsErrorReasons = [
  /** A required option is absent. */
  "Missing",
  /** The value has the wrong type (a string for a number, a Symbol...). */
  "WrongType",
  /** A number or duration outside its range (negative, NaN, a port above 65535...). */
  "OutOfRange",
  /** A string that does not parse (an endpoint without port, "banana" as a duration). */
  "Malformed",
  /** Key material that cannot be used (wrong algorithm or curve, truncated, private, empty). */
  "InvalidKey",
  /** Reading the value threw (a getter, a Proxy). */
  "Unreadable"
] as const

/**
 * An option of the transport (a Layer's, a constructor's, or a call's) was rejected
 * before any fiber or socket existed. `option` names it, e.g. `endpoint`,
 * `keepalive.interval`, `encryption.serverKey`. Never sent.
 */
export class FpnnOptionsError extends Schema.TaggedError<FpnnOptionsError>()("FpnnOptionsError", {
  option: Schema.String,
  reason: ReasonSchema(optionsErrorReasons),
  detail: Schema.String
}) {
  get sent(): false {
    return false
  }
  override get message(): string {
    return `invalid option ${this.option}: ${this.detail}`
  }
  override get name(): string {
    return nameOf(this._tag, this.reason)
  }
}

export type OptionsErrorReasonName = (typeof optionsErrorReasons)[number]
export type OptionsErrorReason = Reason<OptionsErrorReasonName>
const optionsReasons = reasonCache(optionsErrorReasons)

export const optionsError = (option: string, reason: OptionsErrorReasonName, detail: string): FpnnOptionsError =>
  new FpnnOptionsError({ option, reason: optionsReasons[reason], detail }, trusted)
