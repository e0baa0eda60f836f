/**
 * The reference SDKs' "regressive" reconnect strategy (RTM-VOICE.md §4.3, Go 3cd7809):
 * a failure soon after the previous attempt started counts against the peer; the first
 * few are retried at once, then the delay grows linearly to a ceiling. An attempt that
 * lived longer than the failure window resets the count.
 */
import { Duration } from "effect"

export interface RegressiveStrategy {
  /** A failure within this time of the attempt's start counts as a failed attempt. Default 1.5 s. */
  readonly failureWindow?: Duration.Input | undefined
  /** Failed attempts tolerated with an immediate retry. Default 5. */
  readonly immediateRetries?: number | undefined
  /** The first delay. Default 2 s. */
  readonly firstDelay?: Duration.Input | undefined
  /** The ceiling. Default 120 s. */
  readonly maxDelay?: Duration.Input | undefined
  /** Linear steps from the first delay to the ceiling. Default 5. */
  readonly linearSteps?: number | undefined
}

const millis = (input: Duration.Input | undefined, fallback: number): number =>
  input === undefined ? fallback : Duration.toMillis(Duration.fromInputUnsafe(input))

export class RegressiveBackoff {
  private readonly window: number
  private readonly immediate: number
  private readonly first: number
  private readonly max: number
  private readonly steps: number
  private attemptStartedAt = 0
  /** Consecutive failed attempts, as the reference SDKs count them. */
  failedCount = 0

  constructor(strategy: RegressiveStrategy = {}) {
    this.window = millis(strategy.failureWindow, 1500)
    this.immediate = strategy.immediateRetries ?? 5
    this.first = millis(strategy.firstDelay, 2000)
    this.max = millis(strategy.maxDelay, 120_000)
    this.steps = Math.max(1, strategy.linearSteps ?? 5)
  }

  attemptStarted(now: number): void {
    this.attemptStartedAt = now
  }

  /** A connect failed or a connection was lost: how long to wait before the next attempt. */
  failed(now: number): number {
    if (now - this.attemptStartedAt > this.window) {
      this.failedCount = 0
      return 0
    }
    this.failedCount += 1
    if (this.failedCount <= this.immediate) return 0
    const step = (this.max - this.first) / this.steps
    return Math.min(this.first + (this.failedCount - this.immediate) * step, this.max)
  }
}
