// @rtm-voice/test-support: the helpers every package's tests and the cross-package
// scenarios share (private; never published, never built).
export * from "./Cli.js"
export * from "./Peers.js"
export * from "./Ports.js"
export * from "./Proxy.js"
export * from "./RawClient.js"
export * from "./Tracing.js"
export * from "./Vectors.js"
