/**
 * JSON-safe schemas for HTTP services and other JSON boundaries.
 *
 * The SDK's results carry int64 ids as `bigint`, which `JSON.stringify` refuses. Here every
 * int64 appears in JSON as a **decimal string** (`"9223372036854775807"`), so that ids beyond
 * 2^53 survive any JSON parser unchanged; counts (int32) stay JSON numbers and the silent
 * operations' `void` is `null`.
 *
 * - `RoomId` and `Uid` decode a path segment, query value or JSON string into an exact int64
 *   `bigint` (and encode it back), rejecting anything that is not a base-10 integer in range.
 * - `JsonAnswers.<operation>` is a codec between an operation's result and its JSON form,
 *   derived from the operation table, so a new operation gets its JSON codec with no extra code.
 */
import { Schema } from "effect"
import { INT64_MAX, INT64_MIN } from "./Ids.js"
import { type OperationName, operationNames, Operations, type ResultOf } from "./Operations.js"

/** An int64 as a base-10 string (`-?[0-9]+`), decoded to an exact `bigint`. */
export const Int64FromString = Schema.BigIntFromString.check(
  Schema.isBetweenBigInt({ minimum: INT64_MIN, maximum: INT64_MAX }, { expected: "a signed 64-bit integer" })
)

/** A room id as it appears in a URL or in JSON: a decimal string, decoded to a `bigint`. */
export const RoomId = Int64FromString.annotate({
  identifier: "RoomId",
  description: "room id: int64 as a decimal string"
})
/** A user id as it appears in a URL or in JSON: a decimal string, decoded to a `bigint`. */
export const Uid = Int64FromString.annotate({
  identifier: "Uid",
  description: "user id: int64 as a decimal string"
})

/** A codec between an operation's result and its JSON form. */
export type JsonAnswer<A> = Schema.Codec<A, Schema.Json>

/** Per operation, the JSON codec of its result (ids as decimal strings). */
export type JsonAnswers = { readonly [K in OperationName]: JsonAnswer<ResultOf<Operations[K]>> }

const jsonAnswer = (name: OperationName): JsonAnswer<unknown> => {
  const { answer } = Operations[name] as { readonly answer: { readonly voice: Schema.Top; readonly rtc: Schema.Top } }
  // Dialects that answer differently (members: rtc adds `owner`) give a union, the richer
  // form first, so that a result carrying `owner` keeps it.
  const type = answer.voice === answer.rtc
    ? Schema.toType(answer.voice)
    : Schema.Union([Schema.toType(answer.rtc), Schema.toType(answer.voice)])
  return Schema.toCodecJson(type) as unknown as JsonAnswer<unknown>
}

export const JsonAnswers: JsonAnswers = Object.fromEntries(
  operationNames.map((name) => [name, jsonAnswer(name)])
) as unknown as JsonAnswers

/** `getVoiceRoomMembers`'s result in JSON: `{ uids: string[], managers: string[], owner?: string }`. */
export const VoiceRoomMembersJson = JsonAnswers.getVoiceRoomMembers
