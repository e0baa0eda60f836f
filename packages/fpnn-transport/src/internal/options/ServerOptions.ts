/** The server's options, checked and resolved (`makeServer`). */
import { Result } from "effect"
import { parseServerPrivateKey, type ServerPrivateKey } from "../../Encryption.js"
import type { FpnnOptionsError } from "../../Errors.js"
import { curveOf, delay, keyInput, limitsOf, parseKey } from "./ClientOptions.js"
import { check, field, optionalDuration, optionalInteger, record, reject, show } from "./Readers.js"

export interface ResolvedServerOptions {
  readonly host: string
  readonly port: number
  readonly handlers: Readonly<Record<string, unknown>>
  readonly maxFrameBytes: number
  readonly maxQueuedBytes: number
  readonly shutdownGraceMillis: number
  readonly privateKey: ServerPrivateKey | undefined
}

/** A host name or address: non-empty, no spaces. */
export const hostOf = (value: unknown, option: string, fallback: string): string => {
  if (value === undefined) return fallback
  if (typeof value !== "string") {
    return reject(option, "WrongType", `expected a host name or address, got ${show(value)}`)
  }
  if (value.trim() === "" || /\s/.test(value)) {
    return reject(option, "Malformed", `expected a host name or address, got ${show(value)}`)
  }
  return value
}

/** Checks `FpnnServerOptions`. */
export const resolveServerOptions = (options: unknown): Result.Result<ResolvedServerOptions, FpnnOptionsError> =>
  check("options", () => {
    const o = record(options, "options")
    const handlers = record(field(o, "handlers", "handlers"), "handlers")
    const encryption = field(o, "encryption", "encryption")
    let privateKey: ServerPrivateKey | undefined
    if (encryption !== undefined) {
      const e = record(encryption, "encryption")
      const curve = curveOf(field(e, "curve", "encryption.curve"), "encryption.curve")
      const key = keyInput(field(e, "privateKey", "encryption.privateKey"), "encryption.privateKey")
      privateKey = parseKey("encryption.privateKey", () => parseServerPrivateKey(key, curve))
    }
    return {
      host: hostOf(field(o, "host", "host"), "host", "127.0.0.1"),
      port: optionalInteger(field(o, "port", "port"), "port", 0, 0, 65535),
      handlers,
      ...limitsOf(o),
      shutdownGraceMillis: optionalDuration(field(o, "shutdownGrace", "shutdownGrace"), "shutdownGrace", 2000, delay),
      privateKey
    }
  })
