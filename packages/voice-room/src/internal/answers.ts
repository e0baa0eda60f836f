/** The answer schemas of the operation table: OK answer map ↔ result. */
import { Schema, SchemaGetter } from "effect"
import { Int32, Int64 } from "../Ids.js"

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

export const RtcMembers = Schema.Struct({ uids: Schema.Array(Int64), administrators: Schema.Array(Int64), owner: Int64 }).pipe(
  Schema.decodeTo(
    Schema.Struct({ uids: Schema.Array(Schema.BigInt), managers: Schema.Array(Schema.BigInt), owner: Schema.BigInt }),
    {
      decode: SchemaGetter.transform(({ administrators, owner, uids }) => ({ uids, managers: administrators, owner })),
      encode: SchemaGetter.transform(({ managers, owner, uids }) => ({ uids, administrators: managers, owner }))
    }
  )
)

