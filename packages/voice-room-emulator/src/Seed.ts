/**
 * Seeding and snapshots: rooms built directly from a test (no API calls), and the whole
 * state as JSON. Ids are decimal strings in JSON, so int64 values stay exact; a seed
 * accepts them as strings, numbers (safe integers) or bigints, so a snapshot read back
 * with `JSON.parse` seeds the same state.
 */
import { adminCommandNames, Int32, INT64_MAX, INT64_MIN } from "@rtm-voice/voice-room"
import { Result, Schema } from "effect"
import type { FaultStats } from "./Faults.js"
import type { Rooms } from "./Rooms.js"

const IdString = Schema.String.check(Schema.isPattern(/^-?\d{1,19}$/))
const inInt64 = Schema.makeFilter((id: bigint) =>
  id >= INT64_MIN && id <= INT64_MAX ? undefined : "an int64 id is between -2^63 and 2^63-1"
)
/** An id as a bigint, a safe integer or a decimal string (decoding only). */
const Id = Schema.Union([Schema.BigInt, Schema.Int, IdString])

const SeedRoom = Schema.Struct({
  id: Id,
  /** In join order. */
  members: Schema.optionalKey(Schema.Array(Id)),
  /** Must be members. */
  managers: Schema.optionalKey(Schema.Array(Id)),
  /** Default: the first member (0 for an empty room). */
  owner: Schema.optionalKey(Id),
  /** The room's default microphone state. */
  micStatus: Schema.optionalKey(Schema.Boolean),
  /** RTC-era pull extras (`type`: 1 voice, 2 video). */
  rtc: Schema.optionalKey(Schema.Struct({
    type: Schema.optionalKey(Int32),
    voiceRange: Schema.optionalKey(Int32),
    maxReceiveStreams: Schema.optionalKey(Int32)
  })),
  invitations: Schema.optionalKey(Schema.Array(Schema.Struct({ fromUid: Id, uids: Schema.Array(Id) }))),
  adminCommands: Schema.optionalKey(
    Schema.Array(Schema.Struct({ uids: Schema.Array(Id), command: Schema.Literals(adminCommandNames) }))
  )
})

/** What `seed` takes; a `snapshot` (parsed from JSON or not) is one. */
export const EmulatorSeed = Schema.Struct({
  rooms: Schema.optionalKey(Schema.Array(SeedRoom)),
  /** Default microphone state of room ids, also of rooms that do not exist (yet). */
  micStatus: Schema.optionalKey(Schema.Array(Schema.Struct({ roomId: Id, status: Schema.Boolean })))
})
export type EmulatorSeed = typeof EmulatorSeed.Type

/** A seed that does not fit `EmulatorSeed`, or ids out of range, or a manager who is no member. */
export class EmulatorSeedError extends Schema.TaggedError<EmulatorSeedError>()("EmulatorSeedError", {
  message: Schema.String
}) {}

/** The whole state as JSON: ids as decimal strings. */
export interface EmulatorSnapshot {
  readonly rooms: ReadonlyArray<{
    readonly id: string
    readonly members: ReadonlyArray<string>
    readonly managers: ReadonlyArray<string>
    readonly owner: string
    readonly micStatus?: boolean
    readonly rtc?: { readonly type?: number; readonly voiceRange?: number; readonly maxReceiveStreams?: number }
    readonly invitations: ReadonlyArray<{ readonly fromUid: string; readonly uids: ReadonlyArray<string> }>
    readonly adminCommands: ReadonlyArray<{ readonly uids: ReadonlyArray<string>; readonly command: string }>
  }>
  readonly micStatus: ReadonlyArray<{ readonly roomId: string; readonly status: boolean }>
  /** Quests that reached a handler, per wire method. */
  readonly quests: Readonly<Record<string, number>>
  readonly faults: FaultStats
}

const ids = (list: Iterable<bigint>) => [...list].map(String)

export const snapshotOf = (
  rooms: Rooms,
  quests: ReadonlyMap<string, number>,
  faults: FaultStats
): EmulatorSnapshot => ({
  rooms: rooms.snapshot().map((room) => ({
    id: String(room.id),
    members: ids(room.members),
    managers: ids(room.managers),
    owner: String(room.owner),
    ...(room.micStatus === undefined ? {} : { micStatus: room.micStatus }),
    ...(room.rtc === undefined ? {} : { rtc: room.rtc }),
    invitations: room.invitations.map((i) => ({ fromUid: String(i.fromUid), uids: ids(i.uids) })),
    adminCommands: room.adminCommands.map((c) => ({ uids: ids(c.uids), command: c.command }))
  })),
  micStatus: [...rooms.micStatus].map(([roomId, status]) => ({ roomId: String(roomId), status })),
  quests: Object.fromEntries(quests),
  faults
})

/**
 * Adds (or replaces, by id) the seed's rooms and mic states; other rooms stay. Checks
 * everything first: on error nothing changes.
 */
export const applySeed = (rooms: Rooms, input: unknown): Result.Result<void, EmulatorSeedError> => {
  const decoded = Schema.decodeUnknownResult(EmulatorSeed)(input)
  if (decoded._tag === "Failure") {
    return Result.fail(new EmulatorSeedError({ message: `invalid seed: ${decoded.failure.message}` }))
  }
  const seed = decoded.success
  let problem: string | undefined
  const id = (v: bigint | number | string, where: string): bigint => {
    const b = BigInt(v)
    if (Schema.decodeUnknownResult(Schema.BigInt.check(inInt64))(b)._tag === "Failure") {
      problem ??= `${where}: ${v} is not an int64`
    }
    return b
  }
  const built = (seed.rooms ?? []).map((r, i) => {
    const where = `rooms[${i}]`
    const members = (r.members ?? []).map((m) => id(m, `${where}.members`))
    const managers = (r.managers ?? []).map((m) => id(m, `${where}.managers`))
    for (const m of managers) if (!members.includes(m)) problem ??= `${where}.managers: ${m} is not a member`
    return {
      room: {
        id: id(r.id, `${where}.id`),
        members: new Set(members),
        managers: new Set(managers),
        owner: r.owner === undefined ? members[0] ?? 0n : id(r.owner, `${where}.owner`),
        invitations: (r.invitations ?? []).map((v) => ({
          fromUid: id(v.fromUid, `${where}.invitations`),
          uids: v.uids.map((u) => id(u, `${where}.invitations`))
        })),
        adminCommands: (r.adminCommands ?? []).map((c) => ({
          uids: c.uids.map((u) => id(u, `${where}.adminCommands`)),
          command: c.command
        })),
        rtc: r.rtc === undefined ? undefined : { ...r.rtc }
      },
      micStatus: r.micStatus
    }
  })
  const mics = (seed.micStatus ?? []).map((m) => [id(m.roomId, "micStatus"), m.status] as const)
  if (problem !== undefined) return Result.fail(new EmulatorSeedError({ message: `invalid seed: ${problem}` }))
  for (const { micStatus, room } of built) {
    rooms.rooms.set(room.id, room)
    if (micStatus !== undefined) rooms.micStatus.set(room.id, micStatus)
  }
  for (const [roomId, status] of mics) rooms.micStatus.set(roomId, status)
  return Result.void
}
