/**
 * The pending calls of a connection: a Map keyed by seq (O(1) match), and one timer for
 * every call's deadline, armed at or before the earliest one. A call that is interrupted
 * or times out removes its entry, so a late answer finds nothing and is dropped, as
 * FPNN.md §3.6 prescribes.
 *
 * A base class of `FpnnConnection` rather than a field of it, so the request and answer
 * paths read these fields on the connection itself, with no indirection.
 */
import { Effect } from "effect"
import { type FpnnCallError, type FpnnConnectionError, remoteError, timeoutError, withSent } from "../../Errors.js"
import { FpnnErrorCode } from "../../FpnnCodes.js"
import { timerMillis } from "../../Options.js"
import type { Payload } from "../codec/Msgpack.js"
import { Outbox } from "./Outbox.js"

export interface Pending {
  readonly method: string
  readonly resume: (effect: Effect.Effect<Payload, FpnnCallError>) => void
  /** Date.now() after which the call fails with FpnnTimeoutError; Infinity = none. */
  readonly deadline: number
  readonly timeoutMillis: number
  /** The outbox batch the quest was queued in: sent once the flusher has taken that batch. */
  readonly batch: number
}

const exText = new TextDecoder()

export abstract class PendingCalls extends Outbox {
  readonly endpoint: string
  protected readonly pending = new Map<number, Pending>()
  protected seq = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  protected timerAt = Infinity

  constructor(endpoint: string) {
    super()
    this.endpoint = endpoint
  }

  get pendingCount(): number {
    return this.pending.size
  }

  protected settle(seq: number, status: number, payload: Payload): void {
    const entry = this.pending.get(seq)
    if (entry === undefined) return // late (timed out, interrupted) or unknown: dropped
    this.pending.delete(seq)
    if (status === 0) entry.resume(Effect.succeed(payload))
    else {
      const code = typeof payload.code === "number" || typeof payload.code === "bigint"
        ? Number(payload.code)
        : FpnnErrorCode.ServerInternalError
      // Some servers send `ex` as msgpack bin (raw bytes): it is still the error text.
      const ex = typeof payload.ex === "string"
        ? payload.ex
        : payload.ex instanceof Uint8Array
        ? exText.decode(payload.ex)
        : "(the peer sent no error text)"
      const raiser = typeof payload.raiser === "string" ? payload.raiser : undefined
      entry.resume(Effect.fail(remoteError(entry.method, code, ex, raiser)))
    }
  }

  /**
   * Fails every pending call with `error`, as sent or not by whether its quest reached
   * the socket, and stops the timer.
   */
  protected failPending(error: FpnnConnectionError): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    const pending = [...this.pending.values()]
    this.pending.clear()
    // One error per outcome, shared by the calls it fails (thousands may be pending).
    const notSent = withSent(error, false)
    let sent: FpnnConnectionError | undefined
    for (const p of pending) {
      p.resume(Effect.fail(p.batch < this.batches ? (sent ??= withSent(error, true)) : notSent))
    }
  }

  protected armTimer(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timerAt = at
    // Clamped: Node fires a longer delay at once (TimeoutOverflowWarning), which re-armed
    // this timer every millisecond; `expire` re-arms for what is left.
    this.timer = setTimeout(this.expire, timerMillis(at - Date.now()))
  }

  // Fails the calls whose deadline has passed, then re-arms for the earliest remaining
  // one. Under steady load this runs about once per timeout period: answered calls have
  // left `pending`, so the timer usually finds nothing to do and moves on.
  private readonly expire = (): void => {
    this.timer = undefined
    this.timerAt = Infinity
    if (this.closed !== undefined) return
    const now = Date.now()
    let next = Infinity
    for (const [seq, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(seq)
        p.resume(Effect.fail(timeoutError(p.method, this.endpoint, p.timeoutMillis, p.batch < this.batches)))
      } else if (p.deadline < next) next = p.deadline
    }
    if (next !== Infinity) this.armTimer(next)
  }

  protected nextSeq(): number {
    // Unique among this connection's outstanding quests; wraps after 2^32 - 1 to 1.
    do {
      this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1
    } while (this.pending.has(this.seq))
    return this.seq
  }
}
