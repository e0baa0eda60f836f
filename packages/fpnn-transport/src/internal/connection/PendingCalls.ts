/**
 * The pending calls of a connection: a table indexed by `seq & mask` (O(1) match), and
 * one timer for every call's deadline, armed at or before the earliest one. A call that
 * is interrupted or times out removes its entry, so a late answer finds nothing and is
 * dropped, as FPNN.md §3.6 prescribes.
 *
 * Perf: the table is a set of parallel arrays (a column per field), not a Map of entry
 * objects: no object and no Map entry per call, and nothing per call for the scavenger to
 * copy while 1024 calls are in flight (BENCHMARKS.md: the young-generation GC grows with
 * the calls in flight). `nextSeq` skips
 * the seqs whose slot is taken, so a slot holds at most one call.
 *
 * A base class of `FpnnConnection` rather than a field of it, so the request and answer
 * paths read these fields on the connection itself, with no indirection.
 */
import { Effect, Exit, Fiber } from "effect"
import { type FpnnCallError, type FpnnConnectionError, remoteError, timeoutError, withSent } from "../../Errors.js"
import { FpnnErrorCode } from "../../FpnnCodes.js"
import { timerMillis } from "../../Options.js"
import type { Payload } from "../codec/Msgpack.js"
import { Outbox } from "./Outbox.js"

/**
 * How a pending call is resumed, exactly once: with its answer, its typed error, or (when
 * its fiber is interrupted, after its entry is removed) an interruption. An
 * `Effect.callback`'s own resume ignores the last; a layer above the transport that wraps
 * it (the transport's `call.startUnsafe`) ends its own bookkeeping there.
 */
export type Resume = (exit: Exit.Exit<Payload, FpnnCallError>) => void

const exText = new TextDecoder()
const INITIAL_SLOTS = 256
// A table grown past this goes back to its initial size once it empties (after a burst).
const SHRINK_SLOTS = 16 * INITIAL_SLOTS

/** The error of a non-zero status answer: its code, text (`ex`) and raiser. */
const answerError = (method: string, payload: Payload): FpnnCallError => {
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
  return remoteError(method, code, ex, raiser)
}

export abstract class PendingCalls extends Outbox {
  readonly endpoint: string
  protected seq = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  protected timerAt = Infinity
  // The table: slot `seq & mask` holds the call of `seq` when `seqs[slot] === seq` (0: free).
  private mask = INITIAL_SLOTS - 1
  private count = 0
  private seqs = new Uint32Array(INITIAL_SLOTS)
  private resumes: Array<Resume | undefined> = new Array(INITIAL_SLOTS).fill(undefined)
  private methods: Array<string | undefined> = new Array(INITIAL_SLOTS).fill(undefined)
  // The waiting fiber: `dropInterrupted` finds its slot by it.
  private fibers: Array<Fiber.Fiber<unknown, unknown> | undefined> = new Array(INITIAL_SLOTS).fill(undefined)
  // Date.now() after which the call fails with FpnnTimeoutError; Infinity = none.
  private deadlines = new Float64Array(INITIAL_SLOTS)
  private timeouts = new Float64Array(INITIAL_SLOTS)
  // The outbox batch the quest was queued in: sent once the flusher has taken that batch.
  private queuedIn = new Float64Array(INITIAL_SLOTS)

  constructor(endpoint: string) {
    super()
    this.endpoint = endpoint
  }

  get pendingCount(): number {
    return this.count
  }

  /** Registers the call of `seq`, owned by the current fiber (see `dropInterrupted`). */
  protected add(seq: number, method: string, resume: Resume, deadline: number, timeoutMillis: number): void {
    while (this.seqs[seq & this.mask] !== 0 || 2 * (this.count + 1) > this.seqs.length) this.grow()
    const slot = seq & this.mask
    this.seqs[slot] = seq
    this.resumes[slot] = resume
    this.methods[slot] = method
    this.fibers[slot] = Fiber.getCurrent()
    this.deadlines[slot] = deadline
    this.timeouts[slot] = timeoutMillis
    this.queuedIn[slot] = this.batches
    this.count++
  }

  /** Empties `slot` and returns its resume. */
  private take(slot: number): Resume {
    const resume = this.resumes[slot]!
    this.seqs[slot] = 0
    this.resumes[slot] = undefined
    this.methods[slot] = undefined
    this.fibers[slot] = undefined
    if (--this.count === 0 && this.seqs.length > SHRINK_SLOTS) this.resize(INITIAL_SLOTS)
    return resume
  }

  // Doubles the table. Seqs in distinct slots under a mask stay distinct under a wider one.
  private grow(): void {
    this.resize(this.seqs.length * 2)
  }

  // A table of `size` slots with every call moved over (grown, or shrunk once empty).
  private resize(size: number): void {
    const { deadlines, fibers, methods, queuedIn, resumes, seqs, timeouts } = this
    this.mask = size - 1
    this.seqs = new Uint32Array(size)
    this.resumes = new Array(size).fill(undefined)
    this.methods = new Array(size).fill(undefined)
    this.fibers = new Array(size).fill(undefined)
    this.deadlines = new Float64Array(size)
    this.timeouts = new Float64Array(size)
    this.queuedIn = new Float64Array(size)
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i]!
      if (seq === 0) continue
      const slot = seq & this.mask
      this.seqs[slot] = seq
      this.resumes[slot] = resumes[i]
      this.methods[slot] = methods[i]
      this.fibers[slot] = fibers[i]
      this.deadlines[slot] = deadlines[i]!
      this.timeouts[slot] = timeouts[i]!
      this.queuedIn[slot] = queuedIn[i]!
    }
  }

  /**
   * The cleanup of every pending call, built once per connection: an interrupted fiber
   * removes the entry it owns. Perf: one cleanup, not an `Effect.sync` closure per call
   * (the 1024-in-flight allocation profile, BENCHMARKS.md). The scan is linear, on interruption only;
   * a fiber waits on at most one call at a time.
   */
  protected readonly dropInterrupted: Effect.Effect<void> = Effect.sync(() => {
    const fiber = Fiber.getCurrent()
    if (fiber === undefined) return
    const fibers = this.fibers
    for (let slot = 0; slot < fibers.length; slot++) {
      if (fibers[slot] === fiber && this.seqs[slot] !== 0) return void this.take(slot)(Exit.interrupt(fiber.id))
    }
  })

  protected settle(seq: number, status: number, payload: Payload): void {
    const slot = seq & this.mask
    if (this.seqs[slot] !== seq || seq === 0) return // late (timed out, interrupted) or unknown: dropped
    const method = this.methods[slot]!
    const resume = this.take(slot)
    resume(status === 0 ? Exit.succeed(payload) : Exit.fail(answerError(method, payload)))
  }

  /**
   * Fails every pending call with `error`, as sent or not by whether its quest reached
   * the socket, and stops the timer.
   */
  protected failPending(error: FpnnConnectionError): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    // Taken first, resumed after: a resumed caller may run (and fail at once) meanwhile.
    const resumes: Array<Resume> = []
    const sent: Array<boolean> = []
    for (let slot = 0; slot < this.seqs.length; slot++) {
      if (this.seqs[slot] === 0) continue
      sent.push(this.queuedIn[slot]! < this.batches)
      resumes.push(this.take(slot))
    }
    // One error per outcome, shared by the calls it fails (thousands may be pending).
    const notSent = withSent(error, false)
    let sentError: FpnnConnectionError | undefined
    for (let i = 0; i < resumes.length; i++) {
      resumes[i]!(Exit.fail(sent[i] ? (sentError ??= withSent(error, true)) : notSent))
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
  // left the table, so the timer usually finds nothing to do and moves on.
  private readonly expire = (): void => {
    this.timer = undefined
    this.timerAt = Infinity
    if (this.closed !== undefined) return
    const now = Date.now()
    let next = Infinity
    const expired: Array<() => void> = []
    for (let slot = 0; slot < this.seqs.length; slot++) {
      if (this.seqs[slot] === 0) continue
      const deadline = this.deadlines[slot]!
      if (deadline <= now) {
        const sent = this.queuedIn[slot]! < this.batches
        const error = timeoutError(this.methods[slot]!, this.endpoint, this.timeouts[slot]!, sent)
        const resume = this.take(slot)
        expired.push(() => resume(Exit.fail(error)))
      } else if (deadline < next) next = deadline
    }
    // Resumed after the scan: a resumed caller may call again (and arm the timer) at once.
    for (const fail of expired) fail()
    if (next < this.timerAt && this.closed === undefined) this.armTimer(next)
  }

  protected nextSeq(): number {
    // Unique among this connection's outstanding quests (a free slot); wraps after 2^32 - 1 to 1.
    do {
      this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1
    } while (this.seqs[this.seq & this.mask] !== 0)
    return this.seq
  }
}
