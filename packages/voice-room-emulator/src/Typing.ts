/**
 * Field presence and typing, as an FPNN C++ server enforces them before a handler
 * runs (FPNN.md §4, §13): a missing key → 10009, a value of the wrong msgpack type →
 * 10010 (a float or a string where an int is due, an int where a bool is due, a float
 * element in an id list).
 *
 * One blind spot: msgpackr decodes an integral float (42.0, `cb 4045000000000000`) to
 * the JS number 42, indistinguishable from the int 42, so that one case is accepted.
 */
import { type Codec, fpnnCodeOf, FpnnErrorAnswer } from "@rtm-voice/fpnn-transport"
import { INT64_MAX, INT64_MIN } from "@rtm-voice/voice-room"
import { Result, Schema } from "effect"

export const missingField = (key: string): FpnnErrorAnswer =>
  new FpnnErrorAnswer({ code: fpnnCodeOf.MissingField, ex: `KEY: ${key} NOT FOUND` })

export const wrongFieldType = (key: string, type: string): FpnnErrorAnswer =>
  new FpnnErrorAnswer({ code: fpnnCodeOf.WrongFieldType, ex: `Can not convert key: ${key} to Type: ${type}` })

export type FieldType = "int" | "string"

const isInt = (v: unknown): boolean =>
  (typeof v === "number" && Number.isInteger(v)) || (typeof v === "bigint" && v >= INT64_MIN && v <= INT64_MAX)

/** Checks one plain field: present and well-typed, or the 10009/10010 answer. */
export const checkField = (
  payload: Codec.Payload,
  key: string,
  type: FieldType
): Result.Result<void, FpnnErrorAnswer> => {
  if (!Object.hasOwn(payload, key)) return Result.fail(missingField(key))
  const v = payload[key]
  const ok = type === "int" ? isInt(v) : typeof v === "string"
  return ok ? Result.void : Result.fail(wrongFieldType(key, type))
}

/** Decodes one field with its wire schema, or the 10009/10010 answer. */
export const decodeField = <A>(
  payload: Codec.Payload,
  key: string,
  schema: Schema.Codec<A, unknown>,
  typeName: string
): Result.Result<A, FpnnErrorAnswer> => {
  if (!Object.hasOwn(payload, key)) return Result.fail(missingField(key))
  const result = Schema.decodeUnknownExit(schema)(payload[key])
  return result._tag === "Success" ? Result.succeed(result.value) : Result.fail(wrongFieldType(key, typeName))
}
