/** The answer schemas of the operation table: OK answer map ↔ result. */
import { Schema, SchemaGetter } from "effect"
import { Int32, Int64, INT64_MAX, INT64_MIN } from "../Ids.js"

// ---- answers

/** Members of a room. `owner` is only reported by the `rtc` dialect. */
export interface VoiceRoomMembers {
  readonly uids: ReadonlyArray<bigint>
  readonly managers: ReadonlyArray<bigint>
  readonly owner?: bigint
}

/** `{}`: the OK answer of the silent operations; extra keys are ignored. */
export const Silent = Schema.Struct({}).pipe(
  Schema.decodeTo(Schema.Void, {
    decode: SchemaGetter.transform(() => undefined),
    encode: SchemaGetter.transform(() => ({}))
  })
)

export const RoomList = Schema.Struct({ rids: Schema.Array(Int64) }).pipe(
  Schema.decodeTo(Schema.Array(Schema.BigInt), {
    decode: SchemaGetter.transform(({ rids }) => rids),
    encode: SchemaGetter.transform((rids) => ({ rids }))
  })
)

export const MemberCount = Schema.Struct({ count: Int32 }).pipe(
  Schema.decodeTo(Schema.Number, {
    decode: SchemaGetter.transform(({ count }) => count),
    encode: SchemaGetter.transform((count) => ({ count }))
  })
)

export const VoiceMembers = Schema.Struct({ uids: Schema.Array(Int64), managers: Schema.Array(Int64) })

export const RtcMembers = Schema.Struct({
  uids: Schema.Array(Int64),
  administrators: Schema.Array(Int64),
  owner: Int64
}).pipe(
  Schema.decodeTo(
    Schema.Struct({ uids: Schema.Array(Schema.BigInt), managers: Schema.Array(Schema.BigInt), owner: Schema.BigInt }),
    {
      decode: SchemaGetter.transform(({ administrators, owner, uids }) => ({ uids, managers: administrators, owner })),
      encode: SchemaGetter.transform(({ managers, owner, uids }) => ({ uids, administrators: managers, owner }))
    }
  )
)

// ---- fast paths

/** What a fast path returns for an answer it leaves to the schema. */
export const NotFast: unique symbol = Symbol("NotFast")

/**
 * A fast path of an answer schema: the answer's result when it has the common shape (a
 * plain msgpack map, every field of its exact wire type), else `NotFast`, and the schema
 * decodes it. Each one accepts a subset of what its schema accepts and returns the same
 * result (a property test holds each against its schema), so an invalid answer still
 * meets the schema and gets its typed error.
 */
export type FastDecoder = (answer: unknown) => unknown

type Plain = Readonly<Record<string, unknown>>

const isPlain = (u: unknown): u is Plain => {
  if (typeof u !== "object" || u === null) return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

const own = (o: Plain, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined)

const int32 = (u: unknown): u is number =>
  typeof u === "number" && Number.isSafeInteger(u) && u >= -0x80000000 && u <= 0x7fffffff

/** `Int64`'s rule: a safe integer number, or a bigint within int64; as a bigint. */
const int64 = (u: unknown): bigint | typeof NotFast =>
  typeof u === "number"
    ? Number.isSafeInteger(u) ? BigInt(u) : NotFast
    : typeof u === "bigint" && u >= INT64_MIN && u <= INT64_MAX
    ? u
    : NotFast

const int64s = (u: unknown): Array<bigint> | typeof NotFast => {
  if (!Array.isArray(u)) return NotFast
  const out = new Array<bigint>(u.length)
  for (let i = 0; i < u.length; i++) {
    const id = int64(u[i])
    if (id === NotFast) return NotFast
    out[i] = id
  }
  return out
}

const fastDecoders = new Map<unknown, FastDecoder>([
  [Silent, (a) => (isPlain(a) ? undefined : NotFast)],
  [MemberCount, (a) => {
    if (!isPlain(a)) return NotFast
    const count = own(a, "count")
    return int32(count) ? count : NotFast
  }],
  [RoomList, (a) => (isPlain(a) ? int64s(own(a, "rids")) : NotFast)],
  [VoiceMembers, (a) => {
    if (!isPlain(a)) return NotFast
    const uids = int64s(own(a, "uids"))
    const managers = uids === NotFast ? NotFast : int64s(own(a, "managers"))
    return managers === NotFast || uids === NotFast ? NotFast : { uids, managers }
  }],
  [RtcMembers, (a) => {
    if (!isPlain(a)) return NotFast
    const uids = int64s(own(a, "uids"))
    const managers = uids === NotFast ? NotFast : int64s(own(a, "administrators"))
    const owner = managers === NotFast ? NotFast : int64(own(a, "owner"))
    return owner === NotFast || managers === NotFast || uids === NotFast ? NotFast : { uids, managers, owner }
  }]
])

/** The fast path of an answer schema of the operation table, if it has one. */
export const fastDecoderOf = (schema: unknown): FastDecoder | undefined => fastDecoders.get(schema)
