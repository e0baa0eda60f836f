/**
 * The outbox of a connection: frames wait here for the socket, and leave in one corked
 * write per event-loop turn. `batches` counts the batches handed to the socket, so a quest
 * queued in batch `b` has been written, as far as we can tell, once `b < batches`.
 *
 * A base class of `FpnnConnection` rather than a field of it, so the hot path reads these
 * fields on the connection itself, with no indirection.
 */
import { Effect } from "effect"
import type { Socket } from "effect/socket"
import type { FpnnConnectionError } from "../../Errors.js"
import { joinAdjacent } from "../frame/Wire.js"

/** The socket side the flusher writes to. */
export interface OutboxWriter {
  readonly writeAll: (chunks: readonly [Uint8Array, ...Array<Uint8Array>]) => Effect.Effect<void, Socket.SocketError>
}

export abstract class Outbox {
  /** Set once the connection has ended; every later call fails with it. */
  closed: FpnnConnectionError | undefined

  protected outbox: Array<Uint8Array> = []
  // Number of batches the flusher has taken from the outbox (handed to the socket).
  protected batches = 0
  // Bytes in `outbox`, not yet handed to the socket. Node holds at most one batch beyond
  // its high-water mark while the flusher waits for `drain`, so this bounds the memory a
  // peer that stops reading can make us hold.
  protected queuedBytes = 0
  // Frames from index `sealFrom` of the outbox on are plaintext for `seal` (the connection's
  // cipher) to encrypt when the batch leaves; the frames before it (the `*key` quest) are sent as they are.
  protected seal: ((frames: ReadonlyArray<Uint8Array>) => ReadonlyArray<Uint8Array>) | undefined
  protected sealFrom = 0
  // The open run: the quests queued back to back in `runBytes[runStart, runEnd)` (the
  // quest writer's slab), not yet in `outbox`. Perf: one view per run instead of one per
  // quest (BENCHMARKS.md); an encrypted connection queues one view per quest (package mode
  // frames them one by one).
  private runBytes: Uint8Array | undefined
  private runStart = 0
  private runEnd = 0
  private flushQueued = false
  private wakeFlusher: ((effect: Effect.Effect<void>) => void) | undefined

  /** Whether a quest queued in `batch` (see `request`'s `onQueued`) was handed to the socket. */
  written(batch: number): boolean {
    return batch < this.batches
  }

  /** Queues a frame after every frame queued so far. */
  protected push(frame: Uint8Array): void {
    if (this.runBytes !== undefined) this.closeRun()
    this.outbox.push(frame)
  }

  /** Queues the quest `bytes[start, start + length)`, extending the open run when it follows it. */
  protected pushQuest(bytes: Uint8Array, start: number, length: number): void {
    if (bytes === this.runBytes && start === this.runEnd) {
      this.runEnd += length
      return
    }
    if (this.runBytes !== undefined) this.closeRun()
    if (this.seal !== undefined) return void this.outbox.push(bytes.subarray(start, start + length))
    this.runBytes = bytes
    this.runStart = start
    this.runEnd = start + length
  }

  /** Frames queued from now on are encrypted by `seal` when they leave; those queued so far are not. */
  protected sealWith(seal: (frames: ReadonlyArray<Uint8Array>) => ReadonlyArray<Uint8Array>): void {
    if (this.runBytes !== undefined) this.closeRun()
    this.seal = seal
    this.sealFrom = this.outbox.length
  }

  /** Whether frames wait for the flusher. */
  protected get queued(): boolean {
    return this.outbox.length > 0 || this.runBytes !== undefined
  }

  /** Drops every frame not yet handed to the socket. */
  protected clearOutbox(): void {
    this.outbox = []
    this.runBytes = undefined
  }

  /** Moves the open run into `outbox`. */
  protected closeRun(): void {
    const bytes = this.runBytes!
    const { runEnd, runStart } = this
    this.runBytes = undefined
    this.outbox.push(
      runStart === 0 && runEnd === bytes.length
        ? bytes
        : new Uint8Array(bytes.buffer, bytes.byteOffset + runStart, runEnd - runStart)
    )
  }

  // Frames queued during one turn of the event loop leave in one corked write: the
  // flusher is woken from a microtask, after every fiber of the current batch has run.
  protected scheduleFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    queueMicrotask(this.flushTick)
  }

  private readonly flushTick = (): void => {
    this.flushQueued = false
    const wake = this.wakeFlusher
    if (wake !== undefined && this.queued) {
      this.wakeFlusher = undefined
      wake(Effect.void)
    }
  }

  private readonly awaitOutbox = Effect.callback<void>((resume) => {
    if (this.queued || this.closed !== undefined) return resume(Effect.void)
    this.wakeFlusher = resume
    return Effect.sync(() => {
      this.wakeFlusher = undefined
    })
  })

  private sealed(frames: Array<Uint8Array>): ReadonlyArray<Uint8Array> {
    const seal = this.seal
    if (seal === undefined || this.sealFrom >= frames.length) return joinAdjacent(frames)
    if (this.sealFrom === 0) return seal(frames)
    return [...frames.slice(0, this.sealFrom), ...seal(frames.slice(this.sealFrom))]
  }

  /** Writes every batch the outbox receives until the connection is closed. */
  protected flusher(writer: OutboxWriter): Effect.Effect<void, Socket.SocketError> {
    const self = this
    return Effect.gen(function*() {
      while (self.closed === undefined) {
        yield* self.awaitOutbox
        if (!self.queued) continue
        if (self.runBytes !== undefined) self.closeRun()
        const batch = self.sealed(self.outbox) as readonly [Uint8Array, ...Array<Uint8Array>]
        self.outbox = []
        self.sealFrom = 0
        self.queuedBytes = 0
        self.batches++
        yield* writer.writeAll(batch)
      }
    })
  }
}
