/**
 * An in-memory emulator of the iLiveData RTM server gateway's voice-room API, on an
 * FPNN server: both wire dialects on one port, requests verified like the gateway.
 */
export * from "./Auth.js"
export * from "./Emulator.js"
export * from "./Faults.js"
export * from "./Handlers.js"
export * from "./Rooms.js"
export * from "./Seed.js"
export * from "./Typing.js"
