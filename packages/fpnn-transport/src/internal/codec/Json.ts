/** JSON payloads (flag 0x40). RTM never uses them; the server answers them in kind. */
import { protocolError } from "../../Errors.js"
import type { Payload } from "./Msgpack.js"

/** JSON text in which bigints are plain integer literals (exact, never rounded or quoted). */
export const exactJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `\u0000${v}\u0000` : v)).replace(
    /"\\u0000(-?\d+)\\u0000"/g,
    "$1"
  )

/** A JSON payload, bigints exact. */
export const encodeJsonPayload = (payload: Payload): Uint8Array => Buffer.from(exactJson(payload), "utf8")

/** Parses a JSON payload; integers beyond 2^53 lose precision (JSON.parse). */
export const decodeJsonPayload = (bytes: Uint8Array): Payload => {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"))
  } catch (cause) {
    throw protocolError("BadPayload", `payload is not valid JSON: ${String(cause)}`)
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw protocolError("BadPayload", "payload root is not a map")
  }
  return value as Payload
}
