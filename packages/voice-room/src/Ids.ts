/**
 * int64 ids (room ids, uids, salts) in both directions.
 *
 * In: callers pass `number | bigint`. A number is only trusted while it is a safe
 * integer: beyond 2^53 the literal has already been rounded by JavaScript before we see
 * it, so sending it would address a different room or user. Such values, non-integers
 * and anything outside int64 are rejected with a `VoiceRoomValidationError` that names
 * the parameter, before anything is sent.
 *
 * Out: answers carry ids as msgpack ints, which the codec decodes to a number (within
 * ±2^53) or a bigint (beyond). `Int64` accepts both and always yields `bigint`.
 */
import { Schema, SchemaGetter } from "effect"
import { VoiceRoomValidationError } from "./Errors.js"
import { invalidArgument } from "./internal/invalidArgument.js"

/** An int64 id as a caller may pass it. Pass a bigint for values beyond 2^53. */
export type Int64Input = number | bigint

export const INT64_MIN = -(1n << 63n)
export const INT64_MAX = (1n << 63n) - 1n

const describe = (value: unknown): string => {
  if (typeof value === "bigint") return `${value}n`
  if (typeof value === "number") return String(value)
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  return `a value of type ${typeof value}`
}

/** Validates one int64 argument; `parameter` names it in the error. */
export const toInt64 = (
  operation: string,
  parameter: string,
  value: unknown
): bigint | VoiceRoomValidationError => {
  // The valid ids first, without the failure's closure (allocated per call otherwise).
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value)
  if (typeof value === "bigint" && value >= INT64_MIN && value <= INT64_MAX) return value
  return int64Failure(operation, parameter, value)
}

/** Why `value` is not an int64 id (`toInt64` of anything but a valid one). */
const int64Failure = (operation: string, parameter: string, value: unknown): bigint | VoiceRoomValidationError => {
  const fail = (why: string) => invalidArgument(operation, parameter, `${parameter} ${why}`)
  if (typeof value === "bigint") {
    if (value < INT64_MIN || value > INT64_MAX) {
      return fail(`must fit in a signed 64-bit integer, got ${describe(value)}`)
    }
    return value
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return fail(`must be a finite integer, got ${describe(value)}`)
    if (!Number.isInteger(value)) return fail(`must be an integer, got ${describe(value)}`)
    if (!Number.isSafeInteger(value)) {
      return fail(
        `is ${describe(value)}, beyond Number.MAX_SAFE_INTEGER (2^53 - 1): a number this large has already lost ` +
          `precision; pass the id as a bigint (e.g. ${BigInt(value)}n is what this number holds)`
      )
    }
    return BigInt(value)
  }
  return fail(`must be an integer (number or bigint), got ${describe(value)}`)
}

/** More ids than fit in a frame of the largest size FPNN allows (2^32 bytes, 1 byte per id). */
const MAX_IDS = 2 ** 32

/** Validates a non-empty list of int64 ids. */
export const toInt64List = (
  operation: string,
  parameter: string,
  value: unknown
): ReadonlyArray<bigint> | VoiceRoomValidationError => {
  if (!Array.isArray(value)) {
    return new VoiceRoomValidationError({
      operation,
      parameter,
      message: `${operation}: ${parameter} must be an array of integers, got ${describe(value)}`
    })
  }
  // Read once: a Proxy may report a length that is not an array length (or change it).
  const length: unknown = value.length
  if (length === 0) {
    return new VoiceRoomValidationError({
      operation,
      parameter,
      message: `${operation}: ${parameter} must contain at least one id`
    })
  }
  if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0 || length > MAX_IDS) {
    return new VoiceRoomValidationError({
      operation,
      parameter,
      message: `${operation}: ${parameter} has an invalid length ${describe(length)}`
    })
  }
  const out: Array<bigint> = []
  for (let i = 0; i < length; i++) {
    const id = toInt64(operation, `${parameter}[${i}]`, value[i])
    if (typeof id !== "bigint") return id
    out.push(id)
  }
  return out
}

/** Validates a boolean (untyped callers may pass 0/1 or "true"; the wire wants c2/c3). */
export const toBoolean = (
  operation: string,
  parameter: string,
  value: unknown
): boolean | VoiceRoomValidationError =>
  typeof value === "boolean" ? value : new VoiceRoomValidationError({
    operation,
    parameter,
    message: `${operation}: ${parameter} must be a boolean, got ${describe(value)}`
  })

/** Validates one member of a closed set of names. */
export const toChoice = <const C extends string>(
  operation: string,
  parameter: string,
  choices: ReadonlyArray<C>,
  value: unknown
): C | VoiceRoomValidationError =>
  typeof value === "string" && (choices as ReadonlyArray<string>).includes(value) ?
    value as C :
    new VoiceRoomValidationError({
      operation,
      parameter,
      message: `${operation}: ${parameter} must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, got ${
        describe(value)
      }`
    })

// ---- answer decoding

const int64Range = Schema.isBetweenBigInt({ minimum: INT64_MIN, maximum: INT64_MAX })

/**
 * An int64 on the wire: an integer number (never a float) or a bigint within int64,
 * decoded to `bigint`; encoded as the bigint itself (the codec picks the int form).
 */
export const Int64 = Schema.Union([Schema.Int, Schema.BigInt.check(int64Range)]).pipe(
  Schema.decodeTo(Schema.BigInt, {
    decode: SchemaGetter.transform((v: number | bigint) => (typeof v === "bigint" ? v : BigInt(v))),
    encode: SchemaGetter.transform((b: bigint) => b)
  })
)

/** An int32 on the wire (counts, commands, project ids), as a number. */
export const Int32 = Schema.Int.check(Schema.isBetween({ minimum: -0x80000000, maximum: 0x7fffffff }))
