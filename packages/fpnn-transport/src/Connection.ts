/**
 * One FPNN connection, either end: the hot path shared by the client and the server.
 *
 *   call → seq → frame → outbox ─(one corked socket write per event-loop turn)→ socket
 *   socket → chunks → [decrypt] → FrameReader → answer → pending[seq] → caller
 *                                             → quest  → onQuest (handler / push stream)
 *
 * Pending calls live in a Map keyed by seq (O(1) match); a call that is interrupted or
 * times out removes its entry, so a late answer finds nothing and is dropped, as
 * FPNN.md §3.6 prescribes. When the connection ends, every pending call fails at once
 * with the error that ended it.
 */
import { Effect, Scope } from "effect"
import { Socket } from "effect/socket"
import { decodeJsonPayload, encodeJsonPayload } from "./internal/codec/Json.js"
import { decodePayloadAt, encodePayload, type Payload } from "./internal/codec/Msgpack.js"
import { encodeQuestFrame } from "./internal/codec/QuestWriter.js"
import {
  connectionError,
  FpnnErrorCode,
  type FpnnCallError,
  type FpnnConnectionError,
  type FpnnProtocolError,
  protocolError,
  remoteError,
  timeoutError,
  withSent
} from "./Errors.js"
import {
  type Answer,
  DEFAULT_MAX_FRAME_BYTES,
  encodeAnswer,
  FLAG_JSON,
  FLAG_MSGPACK,
  FrameReader,
  type Quest,
  readU32LE
} from "./Frame.js"
import { timerMillis } from "./Options.js"

/** Turns plaintext frames into bytes on the wire and back (see Encryption.ts). */
export interface Cipher {
  readonly encrypt: (frame: Uint8Array) => Uint8Array
  readonly decrypt: { readonly push: (chunk: Uint8Array) => ReadonlyArray<Uint8Array> }
}

interface Pending {
  readonly method: string
  readonly resume: (effect: Effect.Effect<Payload, FpnnCallError>) => void
  /** Date.now() after which the call fails with FpnnTimeoutError; Infinity = none. */
  readonly deadline: number
  readonly timeoutMillis: number
  /** The outbox batch the quest was queued in: sent once the flusher has taken that batch. */
  readonly batch: number
}

export { timeoutError }

const exText = new TextDecoder()

/** Default cap on bytes waiting to be written to a peer that does not read (64 MiB). */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024

export interface ConnectionOptions {
  readonly endpoint: string
  readonly maxFrameBytes?: number | undefined
  /** Bytes allowed to wait for the socket; beyond, the peer is stalled and the connection closed. */
  readonly maxQueuedBytes?: number | undefined
  /**
   * Called for every quest the peer sends. Return `true` to stop reading the current
   * chunk after this quest (the rest is kept for `resume`); used by the `*key` handshake.
   */
  readonly onQuest: (connection: FpnnConnection, quest: Quest, payload: Payload) => boolean | void
  /** Called when an answer over the frame limit was replaced by an error answer (to log it). */
  readonly onOversizedAnswer?: ((quest: Quest, bytes: number) => void) | undefined
}

export class FpnnConnection {
  readonly endpoint: string
  /** Set once the connection has ended; every later call fails with it. */
  closed: FpnnConnectionError | undefined
  /** Milliseconds timestamp of the last bytes received (keep-alive). */
  lastReceivedAt = Date.now()
  /** Frames received so far, answers included (the server's `*key`-first rule, FPNN.md §12.3). */
  framesReceived = 0

  private readonly pending = new Map<number, Pending>()
  private readonly reader: FrameReader
  private readonly maxFrameBytes: number
  private readonly onQuest: ConnectionOptions["onQuest"]
  private readonly onOversizedAnswer: ConnectionOptions["onOversizedAnswer"]
  private seq = 0
  private outbox: Array<Uint8Array> = []
  // Number of batches the flusher has taken from the outbox (handed to the socket). A
  // quest queued in batch `b` has been written, as far as we can tell, once `b < batches`.
  private batches = 0
  // Bytes in `outbox`, not yet handed to the socket. Node holds at most one batch beyond
  // its high-water mark while the flusher waits for `drain`, so this bounds the memory a
  // peer that stops reading can make us hold.
  private queuedBytes = 0
  private readonly maxQueuedBytes: number
  private flushQueued = false
  private wakeFlusher: ((effect: Effect.Effect<void>) => void) | undefined
  private cipher: Cipher | undefined
  private shutdown: (() => void) | undefined
  // One timer for every pending call's deadline (see `request`), armed at or before the
  // earliest deadline.
  private timer: ReturnType<typeof setTimeout> | undefined
  private timerAt = Infinity

  constructor(options: ConnectionOptions) {
    this.endpoint = options.endpoint
    this.reader = new FrameReader({ maxFrameBytes: options.maxFrameBytes })
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES
    this.onQuest = options.onQuest
    this.onOversizedAnswer = options.onOversizedAnswer
  }

  get pendingCount(): number {
    return this.pending.size
  }

  /** Whether a quest queued in `batch` (see `request`'s `onQueued`) was handed to the socket. */
  written(batch: number): boolean {
    return batch < this.batches
  }

  /**
   * A twoway quest. With `timeoutMillis`, it fails with `FpnnTimeoutError` when no answer
   * came in time. Perf: the deadline lives in the pending entry and one connection-wide
   * timer expires it, instead of `Effect.timeoutOrElse` per call — that races two forked
   * fibers and arms a setTimeout for every call, and was the largest cost of a call
   * (BENCHMARKS.md). Without it the caller wraps the call itself (connect included).
   */
  request(
    method: string,
    payload: Payload,
    timeoutMillis?: number,
    onQueued?: (batch: number) => void
  ): Effect.Effect<Payload, FpnnCallError> {
    return Effect.callback<Payload, FpnnCallError>((resume) => {
      if (this.closed !== undefined) return resume(Effect.fail(withSent(this.closed, false)))
      const seq = this.nextSeq()
      let frame: Uint8Array
      try {
        frame = encodeQuestFrame(method, seq, payload) // perf: payload encoded in place, see Codec.ts
      } catch (e) {
        return resume(Effect.fail(e as FpnnProtocolError))
      }
      const oversized = this.oversized(frame)
      if (oversized !== undefined) return resume(Effect.fail(oversized))
      const deadline = timeoutMillis === undefined ? Infinity : Date.now() + timeoutMillis
      this.pending.set(seq, { method, resume, deadline, timeoutMillis: timeoutMillis ?? 0, batch: this.batches })
      if (deadline < this.timerAt) this.armTimer(deadline)
      onQueued?.(this.batches)
      this.enqueue(frame)
      return Effect.sync(() => {
        this.pending.delete(seq)
      })
    })
  }

  /** A oneway quest: queued for the next write, never answered. */
  send(method: string, payload: Payload): Effect.Effect<void, FpnnConnectionError | FpnnProtocolError> {
    return Effect.suspend((): Effect.Effect<void, FpnnConnectionError | FpnnProtocolError> => {
      if (this.closed !== undefined) return Effect.fail(withSent(this.closed, false))
      try {
        const frame = encodeQuestFrame(method, undefined, payload)
        const oversized = this.oversized(frame)
        if (oversized !== undefined) return Effect.fail(oversized)
        this.enqueue(frame)
        return Effect.void
      } catch (e) {
        return Effect.fail(e as FpnnProtocolError)
      }
    })
  }

  // Reliability (RELIABILITY.md, bad input): a quest over the frame limit (the same
  // 8 MiB default as FPNN servers) is refused here, before any byte is sent. Sent, it made
  // the peer close the connection, failing every other call in flight on it as well.
  private oversized(frame: Uint8Array): FpnnProtocolError | undefined {
    if (frame.length <= this.maxFrameBytes) return undefined
    return protocolError(
      "Oversized",
      `the quest is ${frame.length} bytes, over the frame limit of ${this.maxFrameBytes} bytes ` +
        "(FPNN servers close the connection on such a frame); nothing was sent. Split the request, " +
        "or raise maxFrameBytes if the server accepts larger frames"
    )
  }

  /** Answers a twoway quest of the peer, in the quest's encoding (msgpack or JSON). */
  answer(quest: Quest, payload: Payload, status = 0): void {
    if (this.closed !== undefined || !quest.twoway) return
    let bytes: Uint8Array
    let flag = quest.flag
    try {
      bytes = flag & FLAG_JSON ? encodeJsonPayload(payload) : encodePayload(payload)
    } catch (e) {
      flag = FLAG_MSGPACK
      status = 1
      bytes = encodePayload({ code: FpnnErrorCode.EncodingError, ex: `answer could not be encoded: ${(e as Error).message}` })
    }
    let frame = encodeAnswer(quest.seq, status, bytes, flag, quest.version)
    // Reliability (RELIABILITY.md, oversized answer): the peer closes the connection on a
    // frame over its limit, failing every other call in flight with it. The caller gets an
    // error answer instead, and the connection stays up.
    if (frame.length > this.maxFrameBytes) {
      const size = frame.length
      frame = encodeAnswer(
        quest.seq,
        1,
        encodePayload({
          code: FpnnErrorCode.EncodingError,
          ex: `the answer to ${quest.method} is ${size} bytes, over the frame limit of ${this.maxFrameBytes} bytes`
        }),
        FLAG_MSGPACK,
        quest.version
      )
      this.onOversizedAnswer?.(quest, size)
    }
    this.enqueue(frame)
  }

  /**
   * The client side of the `*key` handshake (FPNN.md §12.3): the plaintext `*key` quest
   * leaves first, then every later byte is encrypted both ways — the server's answer to
   * `*key` is already encrypted.
   */
  handshake(keyQuest: Uint8Array, seq: number, cipher: Cipher): Effect.Effect<Payload, FpnnCallError> {
    return Effect.callback<Payload, FpnnCallError>((resume) => {
      if (this.closed !== undefined) return resume(Effect.fail(withSent(this.closed, false)))
      this.seq = Math.max(this.seq, seq)
      this.pending.set(seq, { method: "*key", resume, deadline: Infinity, timeoutMillis: 0, batch: this.batches })
      this.outbox.push(keyQuest)
      this.cipher = cipher
      this.scheduleFlush()
      return Effect.sync(() => {
        this.pending.delete(seq)
      })
    })
  }

  /** The server side: frames from now on are encrypted both ways. */
  setCipher(cipher: Cipher): void {
    this.cipher = cipher
  }

  /** Feeds received bytes; answers are matched, quests dispatched. */
  receive(chunk: Uint8Array): void {
    this.lastReceivedAt = Date.now()
    if (this.cipher !== undefined) {
      let parts: ReadonlyArray<Uint8Array>
      try {
        parts = this.cipher.decrypt.push(chunk)
      } catch (e) {
        return this.violation(`undecryptable bytes: ${(e as Error).message}`, "Encryption")
      }
      for (const part of parts) {
        this.feed(part)
        if (this.closed !== undefined) return
      }
      return
    }
    this.feed(chunk)
  }

  private feed(chunk: Uint8Array): void {
    const error = this.reader.push(chunk, this.onFrame, this.onAnswer)
    // Once a cipher is set, bytes that do not decrypt to a valid frame header almost
    // always mean the two ends derived different keys (a wrong server key): say so.
    if (error !== undefined) return this.violation(error.message, this.cipher === undefined ? "ProtocolViolation" : "Encryption")
    const rest = this.reader.rest
    if (rest !== undefined) {
      this.reader.rest = undefined
      this.receive(rest)
    }
  }

  private readonly onFrame = (frame: Answer | Quest): boolean | void => {
    if (this.closed !== undefined) return true
    this.framesReceived++
    const payload = this.decode(frame.flag, frame.payload, 0, frame.payload.length)
    if (payload === undefined) return true
    if (frame._tag === "Answer") return this.settle(frame.seq, frame.status, payload)
    return this.onQuest(this, frame, payload)
  }

  // Perf: answers are decoded in place in the received bytes (FrameReader's `onAnswer`):
  // no Answer object and no payload view per answer. Same checks as `onFrame`.
  private readonly onAnswer = (b: Uint8Array, at: number, total: number): boolean | void => {
    if (this.closed !== undefined) return true
    this.framesReceived++
    const payload = this.decode(b[at + 5]!, b, at + 16, at + total)
    if (payload === undefined) return true
    this.settle(readU32LE(b, at + 12), b[at + 7]!, payload)
  }

  /** The payload in `b[start, end)` by the frame's flag; undecodable bytes close the connection. */
  private decode(flag: number, b: Uint8Array, start: number, end: number): Payload | undefined {
    try {
      return flag & FLAG_JSON ? decodeJsonPayload(b.subarray(start, end)) : decodePayloadAt(b, start, end)
    } catch (e) {
      this.violation((e as FpnnProtocolError).message, "ProtocolViolation")
      return undefined
    }
  }

  private settle(seq: number, status: number, payload: Payload): void {
    const entry = this.pending.get(seq)
    if (entry === undefined) return // late (timed out, interrupted) or unknown: dropped
    this.pending.delete(seq)
    if (status === 0) entry.resume(Effect.succeed(payload))
    else {
      const code = typeof payload.code === "number" || typeof payload.code === "bigint" ? Number(payload.code) : 20001
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

  private violation(detail: string, reason: "ProtocolViolation" | "Encryption"): void {
    this.close(
      connectionError(reason, {
        endpoint: this.endpoint,
        sent: false,
        detail: reason === "Encryption"
          ? `${this.endpoint} sent bytes that are not valid FPNN once decrypted (${detail}); the connection was ` +
            "closed. The two ends derived different keys"
          : detail
      })
    )
  }

  /**
   * Ends the connection: fails every pending call with `error` (as sent or not, by
   * whether its quest reached the socket) and closes the socket.
   */
  close(error: FpnnConnectionError): void {
    if (this.closed !== undefined) return
    this.closed = error
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    const pending = [...this.pending.values()]
    this.pending.clear()
    this.outbox = []
    // One error per outcome, shared by the calls it fails (thousands may be pending).
    const notSent = withSent(error, false)
    let sent: FpnnConnectionError | undefined
    for (const p of pending) {
      p.resume(Effect.fail(p.batch < this.batches ? (sent ??= withSent(error, true)) : notSent))
    }
    this.shutdown?.()
  }

  private armTimer(at: number): void {
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

  private nextSeq(): number {
    // Unique among this connection's outstanding quests; wraps after 2^32 - 1 to 1.
    do {
      this.seq = this.seq >= 0xffffffff ? 1 : this.seq + 1
    } while (this.pending.has(this.seq))
    return this.seq
  }

  private enqueue(frame: Uint8Array): void {
    const bytes = this.cipher === undefined ? frame : this.cipher.encrypt(frame)
    this.queuedBytes += bytes.length
    if (this.queuedBytes > this.maxQueuedBytes) {
      return this.close(connectionError("Stalled", { endpoint: this.endpoint, sent: false, detail: `${this.maxQueuedBytes}` }))
    }
    this.outbox.push(bytes)
    this.scheduleFlush()
  }

  // Frames queued during one turn of the event loop leave in one corked write: the
  // flusher is woken from a microtask, after every fiber of the current batch has run.
  private scheduleFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    queueMicrotask(this.flushTick)
  }

  private readonly flushTick = (): void => {
    this.flushQueued = false
    const wake = this.wakeFlusher
    if (wake !== undefined && this.outbox.length > 0) {
      this.wakeFlusher = undefined
      wake(Effect.void)
    }
  }

  private readonly awaitOutbox = Effect.callback<void>((resume) => {
    if (this.outbox.length > 0 || this.closed !== undefined) return resume(Effect.void)
    this.wakeFlusher = resume
    return Effect.sync(() => {
      this.wakeFlusher = undefined
    })
  })

  /**
   * Runs the connection on an open socket until it ends, and returns the error that
   * ended it (every end of an FPNN connection is an error for the calls in flight).
   * The flusher and the reader share the caller's scope: closing it stops both, and
   * `close` (protocol violation, dead keep-alive) ends the read loop at once.
   */
  run(
    pull: Effect.Effect<ReadonlyArray<Uint8Array | string>, Socket.SocketError>,
    writer: { readonly writeAll: (chunks: readonly [Uint8Array, ...Array<Uint8Array>]) => Effect.Effect<void, Socket.SocketError> }
  ): Effect.Effect<FpnnConnectionError, never, Scope.Scope> {
    const self = this
    const flusher = Effect.gen(function*() {
      while (self.closed === undefined) {
        yield* self.awaitOutbox
        if (self.outbox.length === 0) continue
        const batch = self.outbox as unknown as readonly [Uint8Array, ...Array<Uint8Array>]
        self.outbox = []
        self.queuedBytes = 0
        self.batches++
        yield* writer.writeAll(batch)
      }
    }).pipe(Effect.catch((e) => Effect.sync(() => self.close(socketError(self.endpoint, e)))))
    const reader = Effect.gen(function*() {
      while (self.closed === undefined) {
        const result = yield* Effect.result(pull)
        if (result._tag === "Failure") return self.close(socketError(self.endpoint, result.failure))
        for (const chunk of result.success) {
          self.receive(typeof chunk === "string" ? Buffer.from(chunk) : chunk)
          if (self.closed !== undefined) return
        }
      }
    })
    const closedSignal = Effect.callback<void>((resume) => {
      if (self.closed !== undefined) return resume(Effect.void)
      self.shutdown = () => resume(Effect.void)
    })
    return Effect.gen(function*() {
      yield* Effect.forkScoped(flusher)
      yield* Effect.raceFirst(reader, closedSignal)
      return self.closed!
    })
  }
}

/**
 * Destroys the socket when the caller's scope closes; register it right after acquiring
 * the writer (it then runs before the writer's release). NodeSocket's own release only
 * half-closes (end / destroySoon), which never completes while unflushed bytes wait for a
 * peer that stopped reading: the socket and its buffered writes would leak for good
 * (RELIABILITY.md, half-open peer). Pending calls have already failed by then.
 */
export const destroyOnRelease = (writer: {
  readonly write: (chunk: Uint8Array | string | Socket.CloseEvent) => Effect.Effect<void, Socket.SocketError>
}): Effect.Effect<void, never, Scope.Scope> =>
  Effect.addFinalizer(() => Effect.ignore(writer.write(new Socket.CloseEvent(1000))))

/** Maps a socket failure to the connection error the pending calls see. */
export const socketError = (endpoint: string, error: Socket.SocketError): FpnnConnectionError => {
  const reason = error.reason
  const cause = "cause" in reason ? reason.cause : undefined
  const code = (cause as { code?: string } | undefined)?.code
  switch (reason._tag) {
    case "SocketOpenError":
      if (reason.kind === "Timeout") return connectionError("ConnectTimeout", { endpoint, sent: false, cause })
      if (code === "ECONNREFUSED") return connectionError("Refused", { endpoint, sent: false, cause })
      if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") {
        return connectionError("Unresolved", { endpoint, sent: false, detail: code, cause })
      }
      return connectionError("Unknown", {
        endpoint,
        sent: false,
        detail: `${code ? `${code}: ` : ""}${String((cause as Error | undefined)?.message ?? reason.message)}`,
        cause
      })
    default:
      // The connection-level error: each pending call sees it as sent or not (see `close`).
      return connectionError("Closed", { endpoint, sent: false, detail: code, cause })
  }
}
