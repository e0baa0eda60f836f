/**
 * Request authentication (RTM-VOICE.md §2): every quest carries `pid`, `sign`, `salt`
 * and `ts`, where
 *
 *   sign = UPPER_HEX(MD5("pid:secret:salt:method:ts"))
 *
 * The secret is hashed, never sent, and only unwrapped from its `Redacted` here.
 */
import { Redacted } from "effect"
import { hash, randomInt } from "node:crypto"

export interface SignInput {
  readonly pid: number
  readonly secret: Redacted.Redacted<string> | string
  /** Rendered from its exact 64-bit value: a bigint, never a rounded float. */
  readonly salt: bigint
  /** The wire method of this quest, e.g. `getVoiceRoomMemberCount`. */
  readonly method: string
  /** Unix time in whole seconds (a bigint renders exactly, for a verifier given an int64). */
  readonly ts: number | bigint
}

/** The 32-character upper-case hex signature of one request. */
export const sign = (input: SignInput): string => {
  const secret = typeof input.secret === "string" ? input.secret : Redacted.value(input.secret)
  return md5Hex(`${input.pid}:${secret}:${input.salt}:${input.method}:${input.ts}`)
}

// `crypto.hash` is the one-shot digest: no Hash object per call (half the cost of
// `createHash().update().digest()` for a string this short). Strings are hashed as UTF-8.
const md5Hex = (text: string): string => hash("md5", text, "hex").toUpperCase()

/**
 * The signer of one client: `sign` with `pid` and the secret bound once, so that a call
 * neither unwraps the `Redacted` nor renders the `pid:secret:` prefix again.
 */
export const makeSigner = (
  pid: number,
  secret: Redacted.Redacted<string> | string
): (method: string, salt: bigint, ts: number) => string => {
  const prefix = `${pid}:${typeof secret === "string" ? secret : Redacted.value(secret)}:`
  return (method, salt, ts) => md5Hex(`${prefix}${salt}:${method}:${ts}`)
}

/**
 * Salts that never repeat within a process and are unlikely to collide across
 * processes (two CLI runs, or several servers of one project, signing the same method in
 * the same millisecond would otherwise send the same `(salt, sign)` and be refused as a
 * replay, 200006). Like the Go SDK's mid scheme, with wider fields, as a positive int64:
 *
 *   salt = ms << 21 | instance << 10 | counter      (42 + 11 + 10 = 63 bits)
 *
 * `instance` is random per generator (1 in 2048 for two processes to share it);
 * `counter` counts calls within a millisecond. More than 1024 calls in one millisecond,
 * or a clock stepping back (NTP), move the generator's own millisecond ahead of the
 * clock instead of repeating: values are strictly increasing.
 */
export const makeSaltGenerator = (
  now: () => number = Date.now,
  instance: number = randomInt(2048)
): () => bigint => {
  const instanceBits = BigInt(instance & 0x7ff) << 10n
  let lastMs = -1
  let counter = 0
  // `ms << 21 | instance << 10`, rendered once per millisecond rather than per salt.
  let base = 0n
  return () => {
    const ms = Math.floor(now())
    if (ms > lastMs) {
      lastMs = ms
      counter = 0
      base = (BigInt(lastMs) << 21n) | instanceBits
      return base
    } else if (++counter === 1024) {
      lastMs++
      counter = 0
      base = (BigInt(lastMs) << 21n) | instanceBits
      return base
    }
    return base | BigInt(counter)
  }
}

let shared: (() => bigint) | undefined

/**
 * The process-wide generator every client shares, so two clients never reuse a salt. Made
 * on the first salt, not when this module loads: a process that never signs (a CLI call
 * whose connection is refused) never loads node:crypto.
 */
export const nextSalt: () => bigint = () => (shared ??= makeSaltGenerator())()

/** Unix seconds of a millisecond timestamp (what `ts` carries). */
export const toUnixSeconds = (millis: number): number => Math.floor(millis / 1000)

/** The four authentication fields, in the order the Go SDK adds them. A type alias (not
 * an interface) so that it is assignable to the transport's `Payload`. */
export type AuthFields = {
  pid: number
  sign: string
  salt: bigint
  ts: number
}

/**
 * The msgpack type of each authentication field, in the order they are checked (and
 * written): a verifier (the emulator) reads this list rather than naming its own.
 */
export const authFieldTypes = {
  pid: "int",
  sign: "string",
  salt: "int",
  ts: "int"
} as const satisfies { readonly [K in keyof AuthFields]: "int" | "string" }

export const authFields = (
  pid: number,
  secret: Redacted.Redacted<string> | string,
  method: string,
  salt: bigint,
  ts: number
): AuthFields => ({ pid, sign: sign({ pid, secret, salt, method, ts }), salt, ts })
