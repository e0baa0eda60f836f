/** The client's options, checked and resolved (`makeClient`). */
import { Result, Schedule } from "effect"
import {
  type Curve,
  CURVE_NAMES,
  EncryptionError,
  type Mode,
  parseServerPublicKey,
  type ServerPublicKey,
  type Strength
} from "../../Encryption.js"
import type { FpnnOptionsError } from "../../Errors.js"
import { fast, type ReconnectSchedule, regressive } from "../../Reconnect.js"
import { DEFAULT_MAX_FRAME_BYTES } from "../frame/Wire.js"
import {
  check,
  describeThrown,
  endpointOf,
  field,
  oneOf,
  optionalDuration,
  optionalInteger,
  record,
  reject,
  Rejected,
  show
} from "./Readers.js"

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
export const limitsOf = (o: Record<string, unknown>): { maxFrameBytes: number; maxQueuedBytes: number } => ({
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
export const delay = { zero: true } as const

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
  const linearSteps = optionalInteger(
    field(o, "linearSteps", "reconnect.linearSteps"),
    "reconnect.linearSteps",
    5,
    1,
    1_000_000
  )
  return { failureWindowMillis, immediateRetries, firstDelayMillis, maxDelayMillis, linearSteps }
}

/** Key material: a non-empty PEM/hex string or bytes. */
export const keyInput = (value: unknown, option: string): Uint8Array | string => {
  if (typeof value === "string") {
    if (value.trim() === "") return reject(option, "InvalidKey", "the key is empty")
    return value
  }
  if (value instanceof Uint8Array) {
    if (value.length === 0) return reject(option, "InvalidKey", "the key is empty")
    return value
  }
  return reject(
    option,
    value === undefined ? "Missing" : "WrongType",
    `expected PEM/DER/raw key bytes, got ${show(value)}`
  )
}

export const curveOf = (value: unknown, option: string): Curve | undefined =>
  value === undefined ? undefined : oneOf(value, option, CURVE_NAMES as ReadonlyArray<Curve>)

/** Parses key material with a parser that throws EncryptionError; anything it throws is an InvalidKey. */
export const parseKey = <A>(option: string, parse: () => A): A => {
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
