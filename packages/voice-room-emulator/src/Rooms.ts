/**
 * The emulator's in-memory room model and the semantics of each operation
 * (RTM-VOICE.md §5.1 [emulator choice]; documented in the README). Pure and
 * synchronous: the handlers (Handlers.ts) type-check the request, then call these.
 *
 * Ids are bigint everywhere, so int64 values round-trip exactly. Sets keep insertion
 * order, so member lists come back in the order users joined.
 */
import { FpnnErrorAnswer } from "@rtm-voice/fpnn-transport"
import { rtmCodeOf } from "@rtm-voice/voice-room"
import type {
  AdminCommand,
  OperationName,
  Operations,
  ParamsOf,
  ResultOf,
  ValuesOf,
  VoiceRoomMembers
} from "@rtm-voice/voice-room"

/** The component named in RTM error answers. */
export const RAISER = "rtm-voice-emulator"

export const rtmError = (code: number, ex: string): FpnnErrorAnswer => new FpnnErrorAnswer({ code, ex, raiser: RAISER })

export interface Invitation {
  readonly fromUid: bigint
  readonly uids: ReadonlyArray<bigint>
}

export interface AdminCommandRecord {
  readonly uids: ReadonlyArray<bigint>
  readonly command: AdminCommand
}

/**
 * The RTC-era extras of `pullIntoRTCRoom` (RTM-VOICE.md §6), as the latest pull that
 * carried them sent them; a key a pull left out keeps its earlier value.
 */
export interface RtcRoomSettings {
  /** 1 voice, 2 video (other int32 values are recorded as sent). */
  readonly type?: number
  readonly voiceRange?: number
  readonly maxReceiveStreams?: number
}

export interface Room {
  readonly id: bigint
  readonly members: Set<bigint>
  readonly managers: Set<bigint>
  /** The first user pulled into the room when it was created. */
  readonly owner: bigint
  readonly invitations: Array<Invitation>
  readonly adminCommands: Array<AdminCommandRecord>
  /** Set by RTC-era pulls; undefined for rooms only ever pulled into under `voice`. */
  rtc?: RtcRoomSettings | undefined
}

/** A read-only copy of one room, for tests and inspection. */
export interface RoomSnapshot {
  readonly id: bigint
  readonly members: ReadonlyArray<bigint>
  readonly managers: ReadonlyArray<bigint>
  readonly owner: bigint
  readonly micStatus: boolean | undefined
  readonly invitations: ReadonlyArray<Invitation>
  readonly adminCommands: ReadonlyArray<AdminCommandRecord>
  readonly rtc: RtcRoomSettings | undefined
}

export class Rooms {
  readonly rooms = new Map<bigint, Room>()
  /** Default microphone state per room id; kept for rooms not created yet (see README). */
  readonly micStatus = new Map<bigint, boolean>()

  snapshot(): ReadonlyArray<RoomSnapshot> {
    return [...this.rooms.values()].map((room) => ({
      id: room.id,
      members: [...room.members],
      managers: [...room.managers],
      owner: room.owner,
      micStatus: this.micStatus.get(room.id),
      invitations: room.invitations.map((i) => ({ fromUid: i.fromUid, uids: [...i.uids] })),
      adminCommands: room.adminCommands.map((c) => ({ uids: [...c.uids], command: c.command })),
      rtc: room.rtc === undefined ? undefined : { ...room.rtc }
    }))
  }

  clear(): void {
    this.rooms.clear()
    this.micStatus.clear()
  }
}

const notInRoom = (uid: bigint, roomId: bigint, room: Room | undefined) =>
  rtmError(
    rtmCodeOf.NotInRoom,
    room === undefined ? `room ${roomId} does not exist` : `user ${uid} is not in room ${roomId}`
  )

const emptyParameter = (key: string) => rtmError(rtmCodeOf.EmptyParameter, `${key} is empty`)

/** The dialect's extra int32 fields a quest carried (by wire key), e.g. `{ type: 1 }`. */
export type ExtraValues = Readonly<Record<string, number>>

/**
 * One function per operation: validated arguments in, result (or RTM error) out. The
 * extra fields come after the arguments (empty under `voice`).
 */
export type Semantics = {
  readonly [K in OperationName]: (
    rooms: Rooms,
    ...args: [...ValuesOf<ParamsOf<Operations[K]>>, extras?: ExtraValues]
  ) => ResultOf<Operations[K]> | FpnnErrorAnswer
}

export const semantics: Semantics = {
  inviteUserIntoVoiceRoom: (rooms, roomId, fromUid, uids) => {
    if (uids.length === 0) return emptyParameter("toUids")
    const room = rooms.rooms.get(roomId)
    if (room === undefined || !room.members.has(fromUid)) return notInRoom(fromUid, roomId, room)
    // Invitees join from their own client SDK: record the invitation only.
    room.invitations.push({ fromUid, uids })
  },

  pullUserIntoVoiceRoom: (rooms, roomId, uids, extras) => {
    if (uids.length === 0) return emptyParameter("toUids")
    let room = rooms.rooms.get(roomId)
    if (room === undefined) {
      room = {
        id: roomId,
        members: new Set(),
        managers: new Set(),
        owner: uids[0]!,
        invitations: [],
        adminCommands: []
      }
      rooms.rooms.set(roomId, room)
    }
    for (const uid of uids) room.members.add(uid)
    if (extras !== undefined && Object.keys(extras).length > 0) room.rtc = { ...room.rtc, ...extras }
  },

  closeVoiceRoom: (rooms, roomId) => {
    rooms.rooms.delete(roomId)
    rooms.micStatus.delete(roomId)
  },

  kickoutFromVoiceRoom: (rooms, roomId, uid, _fromUid) => {
    const room = rooms.rooms.get(roomId)
    if (room === undefined || !room.members.has(uid)) return notInRoom(uid, roomId, room)
    room.members.delete(uid)
    room.managers.delete(uid)
    // An emptied room stays open until closeVoiceRoom (RTM-VOICE.md §5.1).
  },

  setVoiceRoomMicStatus: (rooms, roomId, status) => {
    rooms.micStatus.set(roomId, status)
  },

  getVoiceRoomList: (rooms) => [...rooms.rooms.keys()],

  getVoiceRoomMembers: (rooms, roomId): VoiceRoomMembers => {
    const room = rooms.rooms.get(roomId)
    if (room === undefined) return { uids: [], managers: [], owner: 0n }
    return { uids: [...room.members], managers: [...room.managers], owner: room.owner }
  },

  getVoiceRoomMemberCount: (rooms, roomId) => rooms.rooms.get(roomId)?.members.size ?? 0,

  adminCommand: (rooms, roomId, uids, command) => {
    if (uids.length === 0) return emptyParameter("uids")
    const room = rooms.rooms.get(roomId)
    if (room === undefined) return rtmError(rtmCodeOf.NotInRoom, `room ${roomId} does not exist`)
    const outsider = uids.find((uid) => !room.members.has(uid))
    if (outsider !== undefined) return notInRoom(outsider, roomId, room)
    if (command === "grantAdministrator") { for (const uid of uids) room.managers.add(uid) }
    if (command === "revokeAdministrator") { for (const uid of uids) room.managers.delete(uid) }
    room.adminCommands.push({ uids, command })
  }
}
