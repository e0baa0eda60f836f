/**
 * FPNN, the binary RPC protocol of iLiveData RTM, for Effect: framing, the msgpack
 * codec with exact int64, a multiplexed client, a server, and encrypted connections.
 *
 * The services and the errors are at the root; everything else is a namespace, as in
 * effect's own packages (`Frame.encodeQuest`, `Codec.Payload`, `Client.ConnectionEvent`).
 */
export { FpnnClient } from "./Client.js"
export { EncryptionError } from "./Encryption.js"
export {
  type ConnectionErrorReason,
  type ConnectionErrorReasonName,
  connectionErrorReasons,
  type FpnnCallError,
  FpnnConnectionError,
  FpnnErrorAnswer,
  FpnnOptionsError,
  FpnnProtocolError,
  FpnnRemoteError,
  FpnnTimeoutError,
  optionsError,
  type OptionsErrorReason,
  type OptionsErrorReasonName,
  optionsErrorReasons,
  type ProtocolErrorReason,
  type ProtocolErrorReasonName,
  protocolErrorReasons,
  type Reason,
  reasonCache,
  ReasonSchema
} from "./Errors.js"
export { FpnnServer } from "./Server.js"

export * as Client from "./Client.js"
export * as Codec from "./Codec.js"
export * as Encryption from "./Encryption.js"
export { type FpnnCodeName, fpnnCodeOf, fpnnCodes, FpnnErrorCode } from "./FpnnCodes.js"
export * as Frame from "./Frame.js"
export * as FpnnMetrics from "./Metrics.js"
export * as Options from "./Options.js"
export * as Reconnect from "./Reconnect.js"
export * as Server from "./Server.js"
