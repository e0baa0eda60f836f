/**
 * The failures a caller of the transport can `catchTag`. Every class carries a `reason`
 * (or a code) for programmatic handling and a `message` that says what happened and
 * what to do about it.
 */
import { Data } from "effect"

/** Why a frame or payload was rejected. */
export type ProtocolErrorReason =
  | "BadMagic"
  | "UnsupportedVersion"
  | "UnsupportedFlag"
  | "UnsupportedType"
  | "EmptyMethod"
  | "Oversized"
  | "BadPayload"
  | "Encode"

/**
 * Bytes that are not valid FPNN. Raised for malformed frames received from a peer (the
 * connection is then closed, since the byte stream can no longer be trusted) and for
 * values that cannot be encoded (nothing is sent).
 */
export class FpnnProtocolError extends Data.TaggedError("FpnnProtocolError")<{
  readonly reason: ProtocolErrorReason
  readonly message: string
}> {}

/** Why a connection could not be used. */
export type ConnectionErrorReason =
  /** Nothing listens at the endpoint (ECONNREFUSED). */
  | "Refused"
  /** The host name could not be resolved. */
  | "Unresolved"
  /** The TCP connect (plus key exchange, when encrypted) did not finish in time. */
  | "ConnectTimeout"
  /** The peer closed the connection, or it was reset, while calls were pending. */
  | "Closed"
  /** Keep-alive pings went unanswered: the peer is silent or the link is dead. */
  | "KeepaliveTimeout"
  /** The peer stopped reading: more than `maxQueuedBytes` waited to be sent. */
  | "Stalled"
  /** The peer sent bytes that are not FPNN; the connection was closed. */
  | "ProtocolViolation"
  /** The encrypted handshake failed, or received bytes did not decrypt to FPNN (wrong key, peer without encryption). */
  | "Encryption"
  /** The client was shut down (its Layer's scope closed). */
  | "Shutdown"
  /** Any other socket failure. */
  | "Unknown"

/** The connection failed, was lost, or was never established. Never resent implicitly. */
export class FpnnConnectionError extends Data.TaggedError("FpnnConnectionError")<{
  readonly reason: ConnectionErrorReason
  readonly endpoint: string
  readonly message: string
  readonly cause?: unknown
}> {}

/** A twoway quest got no answer within its timeout. The connection stays usable. */
export class FpnnTimeoutError extends Data.TaggedError("FpnnTimeoutError")<{
  readonly method: string
  readonly timeoutMillis: number
  readonly message: string
}> {}

/**
 * The peer answered with an FPNN error answer (status ≠ 0): `code` is an FPNN code
 * (10001-30002) or an application code (RTM: 200001-200999), `ex` the peer's text,
 * `raiser` the component that raised it when the peer names one.
 */
export class FpnnRemoteError extends Data.TaggedError("FpnnRemoteError")<{
  readonly method: string
  readonly code: number
  readonly ex: string
  readonly raiser?: string | undefined
  readonly message: string
}> {}

/** Every error a twoway call can fail with. */
export type FpnnCallError = FpnnConnectionError | FpnnTimeoutError | FpnnRemoteError | FpnnProtocolError

export const protocolError = (reason: ProtocolErrorReason, detail: string): FpnnProtocolError =>
  new FpnnProtocolError({ reason, message: `FPNN protocol error (${reason}): ${detail}` })

export const remoteError = (method: string, code: number, ex: string, raiser?: string): FpnnRemoteError =>
  new FpnnRemoteError({
    method,
    code,
    ex,
    raiser,
    message: `${method} failed with error ${code}: ${ex}${raiser === undefined ? "" : ` (raised by ${raiser})`}`
  })

/**
 * What a server handler fails with to send an FPNN error answer `{code, ex[, raiser]}`
 * to the caller (FPNN.md §4). `code` is an FPNN or application (RTM) error code.
 */
export class FpnnErrorAnswer extends Data.TaggedError("FpnnErrorAnswer")<{
  readonly code: number
  readonly ex: string
  readonly raiser?: string | undefined
}> {}
