/**
 * When the client dials again after a failed connect or a lost connection: an Effect
 * `Schedule`, stepped once per failure with a `ReconnectInput`, whose delay is the time
 * until the next attempt. It runs on `Clock` (and `Random`, for jitter), so `TestClock`
 * drives it. The client restarts it from its first step after a connection proved good
 * (FpnnClient: it answered a frame, or it lived `HEALTHY_AFTER_MILLIS`). A schedule that
 * ends stops the client from dialling by itself: calls then fail, not sent, until
 * `connect` is called.
 *
 * - `Reconnect.fast` (the default): exponential from 100 ms, capped at 800 ms, jittered
 *   ±20 % (so at most 960 ms between attempts): a service is back within a second of its
 *   gateway, and a fleet of clients spreads its dials.
 * - `Reconnect.regressive(strategy)`: the reference SDKs' strategy (RTM-VOICE.md §4.3).
 */
import { Duration, Effect, Schedule } from "effect"
import type { FpnnConnectionError } from "./Errors.js"

/** What the reconnect schedule is stepped with, once per failed connect or lost connection. */
export interface ReconnectInput {
  readonly error: FpnnConnectionError
  /** Milliseconds from the start of the attempt (the dial) to this failure. */
  readonly elapsedMillis: number
  /** Whether the attempt got as far as an established connection (TCP, plus key exchange). */
  readonly connected: boolean
}

/** Any schedule over reconnect failures: its delay is the wait before the next attempt. */
export type ReconnectSchedule = Schedule.Schedule<unknown, ReconnectInput>

/** A connection that answered a frame, or lived this long, restarts the schedule. */
export const HEALTHY_AFTER_MILLIS = 2000

/** The first delay of `fast`. */
export const FAST_BASE_MILLIS = 100
/** The cap of `fast` before jitter (jitter adds up to 20 %). */
export const FAST_CAP_MILLIS = 800

/**
 * The default: 100, 200, 400, 800, 800... ms, each ±20 % at random. Capped below a
 * second because the cap is the worst case between the gateway's return and the first
 * successful call; one refused dial per client per second costs a gateway nothing.
 */
export const fast: ReconnectSchedule = Schedule.exponential(Duration.millis(FAST_BASE_MILLIS), 2).pipe(
  Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, Duration.millis(FAST_CAP_MILLIS)))),
  Schedule.jittered
)

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

/**
 * The reference SDKs' "regressive" strategy (RTM-VOICE.md §4.3, Go 3cd7809): a failure
 * soon after the attempt started counts against the peer; the first few are retried at
 * once, then the delay grows linearly to a ceiling. An attempt that lived longer than
 * the failure window resets the count. Its output is the count of failed attempts.
 */
export const regressive = (strategy: RegressiveStrategy = {}): Schedule.Schedule<number, ReconnectInput> => {
  const window = millis(strategy.failureWindow, 1500)
  const immediate = strategy.immediateRetries ?? 5
  const first = millis(strategy.firstDelay, 2000)
  const max = millis(strategy.maxDelay, 120_000)
  const steps = Math.max(1, strategy.linearSteps ?? 5)
  return Schedule.fromStep(Effect.sync(() => {
    let failed = 0
    return (_now: number, input: ReconnectInput) => {
      if (input.elapsedMillis > window) failed = 0
      else failed += 1
      const delay = failed <= immediate
        ? 0
        : Math.min(first + (failed - immediate) * ((max - first) / steps), max)
      return Effect.succeed([failed, Duration.millis(delay)] as [number, Duration.Duration])
    }
  }))
}

/** `reconnect` as the client accepts it: a schedule, or the regressive strategy's settings. */
export const toReconnectSchedule = (option: ReconnectSchedule | RegressiveStrategy | undefined): ReconnectSchedule =>
  option === undefined ? fast : Schedule.isSchedule(option) ? option as ReconnectSchedule : regressive(option)
