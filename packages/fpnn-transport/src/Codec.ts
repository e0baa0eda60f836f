/**
 * The payload codecs of FPNN: msgpack with exact int64 and FPNN's integer forms
 * (FPNN.md §13), and JSON for peers that send it.
 */
export { decodeJsonPayload, encodeJsonPayload, exactJson } from "./internal/codec/Json.js"
export { decodePayload, encodePayload, type Payload } from "./internal/codec/Msgpack.js"
