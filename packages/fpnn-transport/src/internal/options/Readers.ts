/**
 * The readers of option values. Each is total: it returns a value or throws the
 * `FpnnOptionsError` naming the option (caught by `check`), for any input — a wrong type,
 * a Symbol, a Proxy whose traps throw, a getter that throws.
 */
import { Duration, Result } from "effect"
import { FpnnOptionsError, optionsError, type OptionsErrorReasonName } from "../../Errors.js"

/** The largest delay Node's timers accept (2^31 - 1 ms); longer ones are clamped to it. */
export const MAX_TIMER_MILLIS = 2 ** 31 - 1

/** Clamps a timer delay to what `setTimeout` accepts (a larger one fires at once, with a warning). */
export const timerMillis = (millis: number): number => Math.min(MAX_TIMER_MILLIS, Math.max(0, millis))

/** Thrown inside this module only, and caught by `check`: the first bad option. */
export class Rejected {
  constructor(readonly error: FpnnOptionsError) {}
}

export const reject = (option: string, reason: OptionsErrorReasonName, detail: string): never => {
  throw new Rejected(optionsError(option, reason, detail))
}

/** Runs a reader; the first rejection (or anything thrown by exotic input) becomes the error. */
export const check = <A>(option: string, read: () => A): Result.Result<A, FpnnOptionsError> => {
  try {
    return Result.succeed(read())
  } catch (e) {
    if (e instanceof Rejected) return Result.fail(e.error)
    return Result.fail(optionsError(option, "Unreadable", `reading it threw: ${describeThrown(e)}`))
  }
}

export const describeThrown = (e: unknown): string => {
  try {
    return e instanceof Error ? e.message : String(e)
  } catch {
    return "an unprintable value"
  }
}

/** A short, safe rendering of a rejected value (never a secret: keys are not shown). */
export const show = (value: unknown): string => {
  try {
    switch (typeof value) {
      case "string":
        return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
      case "number":
      case "bigint":
      case "boolean":
      case "undefined":
        return String(value)
      case "symbol":
        return "a Symbol"
      case "function":
        return "a function"
      default:
        return value === null ? "null" : Array.isArray(value) ? "an array" : "an object"
    }
  } catch {
    return "an unprintable value"
  }
}

/** `obj[key]`, with a throwing getter or Proxy trap reported against `option`. */
export const field = (obj: unknown, key: string, option: string): unknown => {
  try {
    return (obj as Record<string, unknown>)[key]
  } catch (e) {
    return reject(option, "Unreadable", `reading it threw: ${describeThrown(e)}`)
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null

/** An options object (or `undefined` when `optional`). */
export const record = (value: unknown, option: string): Record<string, unknown> => {
  if (!isRecord(value) || Array.isArray(value)) {
    return reject(option, value === undefined ? "Missing" : "WrongType", `expected an object, got ${show(value)}`)
  }
  return value
}

export interface DurationRule {
  /** Whether 0 is accepted (a delay may be 0, a timeout may not). */
  readonly zero?: boolean
  /** Whether Infinity ("no timeout") is accepted. */
  readonly infinite?: boolean
}

/**
 * A `Duration.Input` in milliseconds: a number of ms, a bigint of ns, a string such as
 * "5 seconds" or "Infinity", a Duration, a `[seconds, nanos]` pair or a `{ seconds }`
 * object. Negative, NaN and unparseable values are rejected; Infinity is accepted when
 * the rule says so (it means "no timeout").
 */
const durationUnits = new Set([
  "weeks",
  "days",
  "hours",
  "minutes",
  "seconds",
  "milliseconds",
  "microseconds",
  "nanoseconds"
])

export const durationMillis = (value: unknown, option: string, rule: DurationRule = {}): number => {
  const kind = typeof value
  if (kind === "symbol" || kind === "function" || kind === "boolean" || value === null) {
    return reject(option, "WrongType", `expected a duration (ms, "5 seconds", a Duration), got ${show(value)}`)
  }
  if (kind === "number" && Number.isNaN(value)) return reject(option, "OutOfRange", "NaN is not a duration")
  if (kind === "object" && !Duration.isDuration(value) && !Array.isArray(value)) {
    // A `{ seconds: 5 }` object: only the units Duration knows, at least one of them
    // (`{ banana: 1 }` would otherwise read as 0).
    const keys = Object.keys(value as object)
    if (keys.length === 0 || !keys.every((k) => durationUnits.has(k))) {
      return reject(option, "WrongType", `expected a duration (ms, "5 seconds", a Duration), got ${show(value)}`)
    }
  }
  let millis: number
  try {
    millis = Duration.toMillis(Duration.fromInputUnsafe(value as Duration.Input))
  } catch {
    return reject(
      option,
      kind === "string" ? "Malformed" : "WrongType",
      `expected a duration (ms, "5 seconds", a Duration), got ${show(value)}`
    )
  }
  if (Number.isNaN(millis)) return reject(option, "OutOfRange", "NaN is not a duration")
  if (millis < 0) return reject(option, "OutOfRange", `a duration must not be negative, got ${show(value)}`)
  if (millis === 0 && rule.zero !== true) return reject(option, "OutOfRange", "must be longer than 0")
  if (millis === Infinity && rule.infinite !== true) return reject(option, "OutOfRange", "must be finite")
  return millis
}

export const optionalDuration = (value: unknown, option: string, fallback: number, rule?: DurationRule): number =>
  value === undefined ? fallback : durationMillis(value, option, rule)

/** An integer in [min, max]. */
export const integer = (value: unknown, option: string, min: number, max: number): number => {
  if (typeof value !== "number") return reject(option, "WrongType", `expected an integer, got ${show(value)}`)
  if (!Number.isInteger(value) || value < min || value > max) {
    return reject(option, "OutOfRange", `expected an integer from ${min} to ${max}, got ${show(value)}`)
  }
  return value
}

export const optionalInteger = (value: unknown, option: string, fallback: number, min: number, max: number) =>
  value === undefined ? fallback : integer(value, option, min, max)

/** One of a few literal values. */
export const oneOf = <const T extends ReadonlyArray<string | number>>(
  value: unknown,
  option: string,
  allowed: T
): T[number] => {
  if (!allowed.includes(value as never)) {
    return reject(
      option,
      typeof value === typeof allowed[0] ? "OutOfRange" : "WrongType",
      `expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${show(value)}`
    )
  }
  return value as T[number]
}

export interface Endpoint {
  readonly host: string
  readonly port: number
}

/**
 * Splits "host:port" (IPv6 as "[::1]:port"), or says why it cannot: never throws, for
 * any input.
 */
export const parseEndpoint = (endpoint: unknown): Result.Result<Endpoint, FpnnOptionsError> =>
  check("endpoint", () => endpointOf(endpoint, "endpoint"))

export const endpointOf = (endpoint: unknown, option: string): Endpoint => {
  if (typeof endpoint !== "string") {
    return reject(
      option,
      endpoint === undefined ? "Missing" : "WrongType",
      `expected "host:port", got ${show(endpoint)}`
    )
  }
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(endpoint.trim())
  const port = match === null ? NaN : Number(match[2])
  if (match === null || match[1] === "") {
    return reject(option, "Malformed", `expected "host:port", got ${show(endpoint)}`)
  }
  if (!(port >= 0 && port <= 65535)) {
    return reject(option, "OutOfRange", `the port must be from 0 to 65535, got ${match[2]}`)
  }
  return { host: match[1]!, port }
}
