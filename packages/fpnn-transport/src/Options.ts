/**
 * Option checking, once, when a client or server is built: before any fiber or socket
 * exists. Every reader here is total: it returns a value or an `FpnnOptionsError` naming
 * the option, for any input — a wrong type, a Symbol, a Proxy whose traps throw, a getter
 * that throws — so a bad option is a typed failure of the Layer, never a defect or a hang.
 */
import { Duration, Result, Schedule } from "effect"
import {
  CURVE_NAMES,
  type Curve,
  EncryptionError,
  type Mode,
  parseServerPrivateKey,
  parseServerPublicKey,
  type ServerPrivateKey,
  type ServerPublicKey,
  type Strength
} from "./Encryption.js"
import { FpnnOptionsError, optionsError, type OptionsErrorReasonName } from "./Errors.js"
import { DEFAULT_MAX_FRAME_BYTES } from "./Frame.js"
import { fast, type ReconnectSchedule, regressive } from "./Reconnect.js"

/** The largest delay Node's timers accept (2^31 - 1 ms); longer ones are clamped to it. */
export const MAX_TIMER_MILLIS = 2 ** 31 - 1

/** Clamps a timer delay to what `setTimeout` accepts (a larger one fires at once, with a warning). */
export const timerMillis = (millis: number): number => Math.min(MAX_TIMER_MILLIS, Math.max(0, millis))

/** Thrown inside this module only, and caught by `check`: the first bad option. */
class Rejected {
  constructor(readonly error: FpnnOptionsError) {}
}

const reject = (option: string, reason: OptionsErrorReasonName, detail: string): never => {
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

const describeThrown = (e: unknown): string => {
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
const durationUnits = new Set(["weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds", "nanoseconds"])

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

const endpointOf = (endpoint: unknown, option: string): Endpoint => {
  if (typeof endpoint !== "string") {
    return reject(option, endpoint === undefined ? "Missing" : "WrongType", `expected "host:port", got ${show(endpoint)}`)
  }
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(endpoint.trim())
  const port = match === null ? NaN : Number(match[2])
  if (match === null || match[1] === "") return reject(option, "Malformed", `expected "host:port", got ${show(endpoint)}`)
  if (!(port >= 0 && port <= 65535)) {
    return reject(option, "OutOfRange", `the port must be from 0 to 65535, got ${match[2]}`)
  }
  return { host: match[1]!, port }
}

// ---------------------------------------------------------------------------------------
// Client

export interface ResolvedKeepalive {
  readonly intervalMillis: number
  readonly deadAfterMillis: number
}

export interface ResolvedReconnect {
  readonly failureWindowMillis: number
  readonly immediateRetries: number
  readonly firstDelayMillis: number
  readonly maxDelayMillis: number
  readonly linearSteps: number
}

export interface ResolvedEncryption {
  readonly serverKey: ServerPublicKey
  readonly mode: Mode
  readonly strength: Strength
}

/** `FpnnClientOptions`, checked: every duration in ms (Infinity = none), every default applied. */
export interface ResolvedClientOptions {
  readonly endpoint: string
  readonly host: string
  readonly port: number
  readonly connectTimeoutMillis: number
  readonly questTimeoutMillis: number
  readonly maxFrameBytes: number
  readonly maxQueuedBytes: number
  /** The reconnect schedule: the one given, the regressive one of the settings given, or `fast`. */
  readonly reconnect: ReconnectSchedule
  readonly keepalive: ResolvedKeepalive | undefined
  readonly encryption: ResolvedEncryption | undefined
  readonly shutdownGraceMillis: number
  readonly logAnnotations: Readonly<Record<string, string | number | boolean>>
}

export const DEFAULT_CONNECT_TIMEOUT_MILLIS = 5000
export const DEFAULT_QUEST_TIMEOUT_MILLIS = 5000
/** Closing a client: how long calls in flight may still take to be answered. */
export const DEFAULT_SHUTDOWN_GRACE_MILLIS = 5000
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024
/** Frames need a 16-byte header; below this, nothing useful fits. */
const MIN_FRAME_BYTES = 64
const MAX_BYTES = 2 ** 31 - 1

/** The frame and write-queue limits, which client and server options share. */
const limitsOf = (o: Record<string, unknown>): { maxFrameBytes: number; maxQueuedBytes: number } => ({
  maxFrameBytes: optionalInteger(
    field(o, "maxFrameBytes", "maxFrameBytes"),
    "maxFrameBytes",
    DEFAULT_MAX_FRAME_BYTES,
    MIN_FRAME_BYTES,
    MAX_BYTES
  ),
  maxQueuedBytes: optionalInteger(
    field(o, "maxQueuedBytes", "maxQueuedBytes"),
    "maxQueuedBytes",
    DEFAULT_MAX_QUEUED_BYTES,
    1,
    Number.MAX_SAFE_INTEGER
  )
})

const timeout = { infinite: true } as const
const delay = { zero: true } as const

/** Log annotations: a record of strings, numbers and booleans (copied). */
const logAnnotationsOf = (value: unknown): Readonly<Record<string, string | number | boolean>> => {
  if (value === undefined) return {}
  const o = record(value, "logAnnotations")
  const out: Record<string, string | number | boolean> = {}
  for (const key of Object.keys(o)) {
    const v = field(o, key, `logAnnotations.${key}`)
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      return reject(`logAnnotations.${key}`, "WrongType", `expected a string, number or boolean, got ${show(v)}`)
    }
    out[key] = v
  }
  return out
}

const keepaliveOf = (value: unknown): ResolvedKeepalive | undefined => {
  if (value === undefined || value === false) return undefined
  const o = value === true ? {} : record(value, "keepalive")
  const intervalMillis = optionalDuration(field(o, "interval", "keepalive.interval"), "keepalive.interval", 20_000)
  const deadAfterMillis = optionalDuration(
    field(o, "deadAfter", "keepalive.deadAfter"),
    "keepalive.deadAfter",
    intervalMillis + 15_000
  )
  if (deadAfterMillis <= intervalMillis) {
    return reject("keepalive.deadAfter", "OutOfRange", "must be longer than keepalive.interval")
  }
  return { intervalMillis, deadAfterMillis }
}

const reconnectOf = (value: unknown): ReconnectSchedule => {
  if (value === undefined) return fast
  if (Schedule.isSchedule(value)) return value as ReconnectSchedule
  const r = regressiveOf(value)
  return regressive({
    failureWindow: r.failureWindowMillis,
    immediateRetries: r.immediateRetries,
    firstDelay: r.firstDelayMillis,
    maxDelay: r.maxDelayMillis,
    linearSteps: r.linearSteps
  })
}

/** The settings of the regressive strategy, checked. */
const regressiveOf = (value: unknown): ResolvedReconnect => {
  const o = record(value, "reconnect")
  const d = (key: string, fallback: number) =>
    optionalDuration(field(o, key, `reconnect.${key}`), `reconnect.${key}`, fallback, delay)
  const failureWindowMillis = d("failureWindow", 1500)
  const immediateRetries = optionalInteger(
    field(o, "immediateRetries", "reconnect.immediateRetries"),
    "reconnect.immediateRetries",
    5,
    0,
    1_000_000
  )
  const firstDelayMillis = d("firstDelay", 2000)
  const maxDelayMillis = d("maxDelay", 120_000)
  if (maxDelayMillis < firstDelayMillis) {
    return reject("reconnect.maxDelay", "OutOfRange", "must not be shorter than reconnect.firstDelay")
  }
  const linearSteps = optionalInteger(field(o, "linearSteps", "reconnect.linearSteps"), "reconnect.linearSteps", 5, 1, 1_000_000)
  return { failureWindowMillis, immediateRetries, firstDelayMillis, maxDelayMillis, linearSteps }
}

/** Key material: a non-empty PEM/hex string or bytes. */
const keyInput = (value: unknown, option: string): Uint8Array | string => {
  if (typeof value === "string") {
    if (value.trim() === "") return reject(option, "InvalidKey", "the key is empty")
    return value
  }
  if (value instanceof Uint8Array) {
    if (value.length === 0) return reject(option, "InvalidKey", "the key is empty")
    return value
  }
  return reject(option, value === undefined ? "Missing" : "WrongType", `expected PEM/DER/raw key bytes, got ${show(value)}`)
}

const curveOf = (value: unknown, option: string): Curve | undefined =>
  value === undefined ? undefined : oneOf(value, option, CURVE_NAMES as ReadonlyArray<Curve>)

/** Parses key material with a parser that throws EncryptionError; anything it throws is an InvalidKey. */
const parseKey = <A>(option: string, parse: () => A): A => {
  try {
    return parse()
  } catch (e) {
    if (e instanceof Rejected) throw e
    return reject(option, "InvalidKey", e instanceof EncryptionError ? e.message : describeThrown(e))
  }
}

const encryptionOf = (value: unknown, prefix: string): ResolvedEncryption | undefined => {
  if (value === undefined) return undefined
  const o = record(value, prefix)
  const curve = curveOf(field(o, "curve", `${prefix}.curve`), `${prefix}.curve`)
  const mode = field(o, "mode", `${prefix}.mode`)
  const strength = field(o, "strength", `${prefix}.strength`)
  const key = keyInput(field(o, "serverKey", `${prefix}.serverKey`), `${prefix}.serverKey`)
  return {
    serverKey: parseKey(`${prefix}.serverKey`, () => parseServerPublicKey(key, curve)),
    mode: mode === undefined ? "package" : oneOf(mode, `${prefix}.mode`, ["package", "stream"] as const),
    strength: strength === undefined ? 128 : oneOf(strength, `${prefix}.strength`, [128, 256] as const)
  }
}

/** Checks `FpnnClientOptions` (typed as unknown: untyped callers are checked the same). */
export const resolveClientOptions = (options: unknown): Result.Result<ResolvedClientOptions, FpnnOptionsError> =>
  check("options", () => {
    const o = record(options, "options")
    const endpoint = field(o, "endpoint", "endpoint")
    const { host, port } = endpointOf(endpoint, "endpoint")
    return {
      endpoint: endpoint as string,
      host,
      port,
      connectTimeoutMillis: optionalDuration(
        field(o, "connectTimeout", "connectTimeout"),
        "connectTimeout",
        DEFAULT_CONNECT_TIMEOUT_MILLIS,
        timeout
      ),
      questTimeoutMillis: optionalDuration(
        field(o, "questTimeout", "questTimeout"),
        "questTimeout",
        DEFAULT_QUEST_TIMEOUT_MILLIS,
        timeout
      ),
      ...limitsOf(o),
      reconnect: reconnectOf(field(o, "reconnect", "reconnect")),
      keepalive: keepaliveOf(field(o, "keepalive", "keepalive")),
      encryption: encryptionOf(field(o, "encryption", "encryption"), "encryption"),
      shutdownGraceMillis: optionalDuration(
        field(o, "shutdownGrace", "shutdownGrace"),
        "shutdownGrace",
        DEFAULT_SHUTDOWN_GRACE_MILLIS,
        delay
      ),
      logAnnotations: logAnnotationsOf(field(o, "logAnnotations", "logAnnotations"))
    }
  })

/**
 * A call's `{ timeout }`: its timeout in ms (Infinity = none), the fallback when absent.
 * Checked before anything is sent.
 */
export const resolveCallTimeout = (
  callOptions: unknown,
  fallback: number
): Result.Result<number, FpnnOptionsError> =>
  callOptions === undefined
    ? Result.succeed(fallback)
    : check("timeout", () => {
      const o = record(callOptions, "options")
      return optionalDuration(field(o, "timeout", "timeout"), "timeout", fallback, timeout)
    })

// ---------------------------------------------------------------------------------------
// Server

export interface ResolvedServerOptions {
  readonly host: string
  readonly port: number
  readonly handlers: Readonly<Record<string, unknown>>
  readonly maxFrameBytes: number
  readonly maxQueuedBytes: number
  readonly shutdownGraceMillis: number
  readonly privateKey: ServerPrivateKey | undefined
}

/** A host name or address: non-empty, no spaces. */
export const hostOf = (value: unknown, option: string, fallback: string): string => {
  if (value === undefined) return fallback
  if (typeof value !== "string") return reject(option, "WrongType", `expected a host name or address, got ${show(value)}`)
  if (value.trim() === "" || /\s/.test(value)) return reject(option, "Malformed", `expected a host name or address, got ${show(value)}`)
  return value
}

/** Checks `FpnnServerOptions`. */
export const resolveServerOptions = (options: unknown): Result.Result<ResolvedServerOptions, FpnnOptionsError> =>
  check("options", () => {
    const o = record(options, "options")
    const handlers = record(field(o, "handlers", "handlers"), "handlers")
    const encryption = field(o, "encryption", "encryption")
    let privateKey: ServerPrivateKey | undefined
    if (encryption !== undefined) {
      const e = record(encryption, "encryption")
      const curve = curveOf(field(e, "curve", "encryption.curve"), "encryption.curve")
      const key = keyInput(field(e, "privateKey", "encryption.privateKey"), "encryption.privateKey")
      privateKey = parseKey("encryption.privateKey", () => parseServerPrivateKey(key, curve))
    }
    return {
      host: hostOf(field(o, "host", "host"), "host", "127.0.0.1"),
      port: optionalInteger(field(o, "port", "port"), "port", 0, 0, 65535),
      handlers,
      ...limitsOf(o),
      shutdownGraceMillis: optionalDuration(field(o, "shutdownGrace", "shutdownGrace"), "shutdownGrace", 2000, delay),
      privateKey
    }
  })

/** Re-exported so every reader shares one rejection type (the emulator's options use them). */
export { reject as rejectOption }
