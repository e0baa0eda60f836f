/**
 * FPNN, the binary RPC protocol of iLiveData RTM, for Effect: framing, the msgpack
 * codec with exact int64, a multiplexed client, a server, and encrypted connections.
 */
export * from "./Client.js"
export * from "./Codec.js"
export * from "./Errors.js"
export * from "./Frame.js"
export * as Reconnect from "./Reconnect.js"
export type { ReconnectInput, ReconnectSchedule, RegressiveStrategy } from "./Reconnect.js"
export * from "./Server.js"
export * as Encryption from "./Encryption.js"
export * as Options from "./Options.js"
export { type Endpoint, MAX_TIMER_MILLIS, parseEndpoint } from "./Options.js"
export * as FpnnMetrics from "./Metrics.js"
