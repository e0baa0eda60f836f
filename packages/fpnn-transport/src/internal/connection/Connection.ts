/**
 * One FPNN connection, either end: the hot path shared by the client and the server.
 *
 *   call → seq → frame → outbox ─(one corked socket write per event-loop turn)→ socket
 *   socket → chunks → [decrypt] → FrameReader → answer → pending[seq] → caller
 *                                             → quest  → onQuest (handler / push stream)
 *
 * The pending calls with their deadline timer (PendingCalls.ts) and the outbox with its
 * flush (Outbox.ts) are the base classes of `FpnnConnection`. When the connection ends,
 * every pending call fails at once with the error that ended it.
 */
import { Effect, Exit, Scope } from "effect"
import type { Socket } from "effect/socket"
import {
  connectionError,
  type FpnnCallError,
  type FpnnConnectionError,
  FpnnProtocolError,
  protocolError,
  withSent
} from "../../Errors.js"
import { type Answer, DEFAULT_MAX_FRAME_BYTES, FLAG_JSON, FrameReader, type Quest } from "../../Frame.js"
import { decodeJsonPayload } from "../codec/Json.js"
import { decodePayloadAt, type Payload } from "../codec/Msgpack.js"
import { encodeQuestFrame, writeQuest, written } from "../codec/QuestWriter.js"
import { readU32LE } from "../frame/Wire.js"
import { answerFrame, messageOf, oversizedQuest } from "./FrameLimit.js"
import { type OutboxWriter } from "./Outbox.js"
import { PendingCalls, type Resume } from "./PendingCalls.js"
import { socketError } from "./SocketEnd.js"

/**
 * Turns plaintext frames into bytes on the wire and back (see Encryption.ts). Perf: frames
 * are encrypted by the batch at flush time (Outbox.ts), in a few cipher calls per batch.
 */
export interface Cipher {
  readonly encrypt: (frames: ReadonlyArray<Uint8Array>) => ReadonlyArray<Uint8Array>
  readonly decrypt: { readonly push: (chunk: Uint8Array) => ReadonlyArray<Uint8Array> }
}

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
  /** Called when an answer over the frame limit is replaced by an error answer (to log it). */
  readonly onOversizedAnswer?: ((quest: Quest, bytes: number) => void) | undefined
}

// The quest writer throws FpnnProtocolError ("Encode", "Oversized"); anything else it
// throws is a payload it could not encode all the same.
const encodeFailure = (e: unknown): FpnnProtocolError =>
  e instanceof FpnnProtocolError ? e : protocolError("Encode", `payload cannot be encoded: ${messageOf(e)}`)

export class FpnnConnection extends PendingCalls {
  /** Milliseconds timestamp of the last bytes received (keep-alive). */
  lastReceivedAt = Date.now()
  /** Frames received so far, answers included (the server's `*key`-first rule, FPNN.md §12.3). */
  framesReceived = 0

  private readonly reader: FrameReader
  private readonly maxFrameBytes: number
  private readonly maxQueuedBytes: number
  private readonly onQuest: ConnectionOptions["onQuest"]
  private readonly onOversizedAnswer: ConnectionOptions["onOversizedAnswer"]
  private cipher: Cipher | undefined
  private shutdown: (() => void) | undefined

  constructor(options: ConnectionOptions) {
    super(options.endpoint)
    this.reader = new FrameReader({ maxFrameBytes: options.maxFrameBytes })
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES
    this.onQuest = options.onQuest
    this.onOversizedAnswer = options.onOversizedAnswer
  }

  /**
   * A twoway quest. With `timeoutMillis`, it fails with `FpnnTimeoutError` when no answer
   * came in time. Perf: the deadline lives in the pending entry and one connection-wide
   * timer expires it, instead of `Effect.timeoutOrElse` per call — that races two forked
   * fibers and arms a setTimeout for every call, the largest cost of a call measured in
   * BENCHMARKS.md. Without it the caller wraps the call itself (connect included).
   */
  request(
    method: string,
    payload: Payload,
    timeoutMillis?: number,
    onQueued?: (batch: number) => void
  ): Effect.Effect<Payload, FpnnCallError> {
    return Effect.callback<Payload, FpnnCallError>((resume) =>
      this.start(method, payload, timeoutMillis, resume, onQueued)
    )
  }

  /**
   * The body of `request`, for a caller that is already inside an `Effect.callback`
   * register (the client's call fast path: one primitive per call instead of two).
   * Resumes at once on failure; else returns the cleanup that removes the entry when the
   * calling fiber is interrupted.
   */
  start(
    method: string,
    payload: Payload,
    timeoutMillis: number | undefined,
    resume: Resume,
    onQueued?: (batch: number) => void
  ): Effect.Effect<void> | undefined {
    if (this.closed !== undefined) return void resume(Exit.fail(withSent(this.closed, false)))
    const seq = this.nextSeq()
    let length: number
    try {
      length = writeQuest(method, seq, payload) // perf: payload encoded in place, see Codec.ts
    } catch (e) {
      return void resume(Exit.fail(encodeFailure(e)))
    }
    const oversized = oversizedQuest(length, this.maxFrameBytes)
    if (oversized !== undefined) return void resume(Exit.fail(oversized))
    const deadline = timeoutMillis === undefined ? Infinity : Date.now() + timeoutMillis
    this.add(seq, method, resume, deadline, timeoutMillis ?? 0)
    if (deadline < this.timerAt) this.armTimer(deadline)
    onQueued?.(this.batches)
    if (this.admit(length)) {
      this.pushQuest(written.bytes, written.start, length)
      this.scheduleFlush()
    }
    return this.dropInterrupted
  }

  /** A oneway quest: queued for the next write, never answered. */
  send(method: string, payload: Payload): Effect.Effect<void, FpnnConnectionError | FpnnProtocolError> {
    return Effect.suspend((): Effect.Effect<void, FpnnConnectionError | FpnnProtocolError> => {
      if (this.closed !== undefined) return Effect.fail(withSent(this.closed, false))
      try {
        const frame = encodeQuestFrame(method, undefined, payload)
        const oversized = oversizedQuest(frame.length, this.maxFrameBytes)
        if (oversized !== undefined) return Effect.fail(oversized)
        this.enqueue(frame)
        return Effect.void
      } catch (e) {
        return Effect.fail(encodeFailure(e))
      }
    })
  }

  /** Answers a twoway quest of the peer (see FrameLimit.ts for what the limit does to it). */
  answer(quest: Quest, payload: Payload, status = 0): void {
    if (this.closed !== undefined || !quest.twoway) return
    const { frame, oversizedBytes } = answerFrame(quest, payload, status, this.maxFrameBytes)
    if (oversizedBytes !== undefined) this.onOversizedAnswer?.(quest, oversizedBytes)
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
      this.add(seq, "*key", resume, Infinity, 0)
      this.push(keyQuest)
      this.setCipher(cipher)
      this.scheduleFlush()
      return this.dropInterrupted
    })
  }

  /** The server side: frames from now on are encrypted both ways. */
  setCipher(cipher: Cipher): void {
    this.cipher = cipher
    this.sealWith(cipher.encrypt)
  }

  /** Feeds received bytes; answers are matched, quests dispatched. */
  receive(chunk: Uint8Array): void {
    this.lastReceivedAt = Date.now()
    if (this.cipher !== undefined) {
      let parts: ReadonlyArray<Uint8Array>
      try {
        parts = this.cipher.decrypt.push(chunk)
      } catch (e) {
        return this.violation(`undecryptable bytes: ${messageOf(e)}`, "Encryption")
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
    if (error !== undefined) {
      return this.violation(error.message, this.cipher === undefined ? "ProtocolViolation" : "Encryption")
    }
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
      this.violation(messageOf(e), "ProtocolViolation")
      return undefined
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
    this.clearOutbox()
    this.failPending(error)
    this.shutdown?.()
  }

  private enqueue(frame: Uint8Array): void {
    if (!this.admit(frame.length)) return
    this.push(frame)
    this.scheduleFlush()
  }

  // Counts `length` more bytes queued; over the bound, the peer is stalled: closed.
  private admit(length: number): boolean {
    this.queuedBytes += length
    if (this.queuedBytes <= this.maxQueuedBytes) return true
    this.close(connectionError("Stalled", { endpoint: this.endpoint, sent: false, detail: `${this.maxQueuedBytes}` }))
    return false
  }

  /**
   * Runs the connection on an open socket until it ends, and returns the error that
   * ended it (every end of an FPNN connection is an error for the calls in flight).
   * The flusher and the reader share the caller's scope: closing it stops both, and
   * `close` (protocol violation, dead keep-alive) ends the read loop at once.
   */
  run(
    pull: Effect.Effect<ReadonlyArray<Uint8Array | string>, Socket.SocketError>,
    writer: OutboxWriter
  ): Effect.Effect<FpnnConnectionError, never, Scope.Scope> {
    const self = this
    const flusher = this.flusher(writer).pipe(
      Effect.catch((e) => Effect.sync(() => self.close(socketError(self.endpoint, e))))
    )
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
