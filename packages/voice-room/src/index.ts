/**
 * Effect-native client for the iLiveData RTM server gateway's real-time voice rooms.
 */
export * from "./Errors.js"
export * from "./Ids.js"
export * from "./Json.js"
export * as Metrics from "./Metrics.js"
export * from "./Operations.js"
export * from "./Signing.js"
export * from "./VoiceRoomClient.js"
