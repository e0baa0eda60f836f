/**
 * Verification of the four authentication fields of every quest (RTM-VOICE.md §2),
 * in this order:
 *
 *   1. presence and msgpack type of pid, sign, salt, ts  → FPNN 10009 / 10010
 *   2. pid is the configured project, sign matches        → RTM 200002
 *   3. |ts − now| ≤ window (default 300 s)                → RTM 200008
 *   4. (salt, sign) not seen within the window            → RTM 200006
 *
 * A pair is remembered until its ts leaves the window; after that the same payload
 * fails step 3 anyway, so the cache stays bounded by the request rate × window.
 */
import type { Codec, FpnnErrorAnswer } from "@rtm-voice/fpnn-transport"
import { authFieldTypes, rtmCodeOf, sign } from "@rtm-voice/voice-room"
import { type Redacted, Result } from "effect"
import { rtmError } from "./Rooms.js"
import { checkField, type FieldType } from "./Typing.js"

export interface AuthConfig {
  readonly pid: number
  readonly secret: Redacted.Redacted<string>
  /** Accepted |ts − now| in seconds. */
  readonly windowSeconds: number
}

const authFields: ReadonlyArray<readonly [string, FieldType]> = Object.entries(authFieldTypes)

/** Remembers (salt, sign) pairs until they expire. */
export class ReplayCache {
  private readonly seen = new Map<string, number>()

  /** True if the pair was already seen (and not expired); records it otherwise. */
  check(key: string, expiresAtMillis: number, nowMillis: number): boolean {
    const expires = this.seen.get(key)
    if (expires !== undefined && expires >= nowMillis) return true
    this.seen.set(key, expiresAtMillis)
    return false
  }

  get size(): number {
    return this.seen.size
  }

  clear(): void {
    this.seen.clear()
  }

  /** Forgets expired pairs. Entries are inserted in roughly expiry order (ts ≈ now), so
   * this stops at the first live entry; a few out-of-order ones just live a little longer. */
  prune(nowMillis: number): void {
    for (const [key, expires] of this.seen) {
      if (expires >= nowMillis) break
      this.seen.delete(key)
    }
  }
}

/** Succeeds when the quest is authentic, else fails with the error answer to send. */
export const verifyAuth = (
  config: AuthConfig,
  replay: ReplayCache,
  method: string,
  payload: Codec.Payload,
  nowMillis: number
): Result.Result<void, FpnnErrorAnswer> => {
  replay.prune(nowMillis)
  for (const [key, type] of authFields) {
    const checked = checkField(payload, key, type)
    if (Result.isFailure(checked)) return checked
  }
  const pid = payload["pid"] as number | bigint
  const signature = payload["sign"] as string
  const salt = BigInt(payload["salt"] as number | bigint)
  // Exact: an int64 ts near 2^63 rounded to a float signs differently (200002, not 200008).
  const ts = BigInt(payload["ts"] as number | bigint)
  if (BigInt(pid) !== BigInt(config.pid)) {
    return Result.fail(rtmError(rtmCodeOf.InvalidSignature, "invalid pid or sign"))
  }
  const expected = sign({ pid: config.pid, secret: config.secret, salt, method, ts })
  if (signature.toUpperCase() !== expected) {
    return Result.fail(rtmError(rtmCodeOf.InvalidSignature, "invalid pid or sign"))
  }
  const now = BigInt(Math.floor(nowMillis / 1000))
  const distance = ts > now ? ts - now : now - ts
  if (distance > BigInt(Math.floor(config.windowSeconds))) {
    const why = `ts ${ts} is more than ${config.windowSeconds} s away from the server time ${now}`
    return Result.fail(rtmError(rtmCodeOf.InvalidServerTime, why))
  }
  if (replay.check(`${salt}:${expected}`, (Number(ts) + config.windowSeconds + 1) * 1000, nowMillis)) {
    return Result.fail(rtmError(rtmCodeOf.ReplayedSignature, "the same salt and sign were already used"))
  }
  return Result.void
}
