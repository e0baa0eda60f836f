/**
 * Request authentication (RTM-VOICE.md §2): every quest carries `pid`, `sign`, `salt`
 * and `ts`, where
 *
 *   sign = UPPER_HEX(MD5("pid:secret:salt:method:ts"))
 *
 * The secret is hashed, never sent, and only unwrapped from its `Redacted` here.
 */
import { createHash } from "node:crypto"
import { Redacted } from "effect"

export interface SignInput {
  readonly pid: number
  readonly secret: Redacted.Redacted<string> | string
  /** Rendered from its exact 64-bit value: a bigint, never a rounded float. */
  readonly salt: bigint
  /** The wire method of this quest, e.g. `getVoiceRoomMemberCount`. */
  readonly method: string
  /** Unix time in whole seconds. */
  readonly ts: number
}

/** The 32-character upper-case hex signature of one request. */
export const sign = (input: SignInput): string => {
  const secret = typeof input.secret === "string" ? input.secret : Redacted.value(input.secret)
  return createHash("md5")
    .update(`${input.pid}:${secret}:${input.salt}:${input.method}:${input.ts}`, "utf8")
    .digest("hex")
    .toUpperCase()
}

/**
 * Salts that never repeat within a process: the Node SDK's scheme
 * `Date.now() * 1000 + counter`, kept strictly increasing, so a clock stepping back
 * (NTP) or more than 1000 requests in one millisecond only make it run ahead of the
 * clock for a while, never collide. Below 2^53 until the 23rd century, carried as bigint.
 */
export const makeSaltGenerator = (now: () => number = Date.now): () => bigint => {
  let last = 0n
  return () => {
    const candidate = BigInt(Math.floor(now())) * 1000n
    last = candidate > last ? candidate : last + 1n
    return last
  }
}

/** The process-wide generator every client shares, so two clients never reuse a salt. */
export const nextSalt: () => bigint = makeSaltGenerator()

/** Unix seconds of a millisecond timestamp (what `ts` carries). */
export const toUnixSeconds = (millis: number): number => Math.floor(millis / 1000)

/** The four authentication fields, in the order the Go SDK adds them. A type alias (not
 * an interface) so that it is assignable to the transport's `Payload`. */
export type AuthFields = {
  readonly pid: number
  readonly sign: string
  readonly salt: bigint
  readonly ts: number
}

export const authFields = (
  pid: number,
  secret: Redacted.Redacted<string> | string,
  method: string,
  salt: bigint,
  ts: number
): AuthFields => ({ pid, sign: sign({ pid, secret, salt, method, ts }), salt, ts })
