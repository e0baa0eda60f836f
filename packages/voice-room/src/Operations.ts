/**
 * The voice-room API, declared once as data (RTM-VOICE.md §5-6).
 *
 * Each entry says what an operation is called in the SDK and on the wire in each
 * dialect, which parameters it takes (in call order, with their kind, wire key and a
 * description), in which order the Go SDK writes the keys, whether it changes state,
 * and how its answer is decoded in each dialect. From this one table:
 *
 * - `VoiceRoomClient` derives its methods (argument validation, payload, decoding),
 * - the emulator derives its handler table (field typing, answer encoding),
 * - a CLI and the docs can derive commands and help text.
 */
import { Schema } from "effect"
import { MemberCount, RoomList, RtcMembers, Silent, VoiceMembers, type VoiceRoomMembers } from "./internal/answers.js"
import { type Dialect, dialects, type KindTypes, type ParamKind } from "./internal/kinds.js"

export type { VoiceRoomMembers } from "./internal/answers.js"
export * from "./internal/kinds.js"
export { buildRequest, extraOptionsOf } from "./internal/request.js"

// ---- operations

export interface Param<K extends ParamKind = ParamKind> {
  /** Argument name in the SDK (and the CLI). */
  readonly name: string
  readonly kind: K
  /** Key of the field in the request map. */
  readonly key: string
  readonly description: string
}

/**
 * An int32 field one dialect adds to an operation's request: always sent, in table order
 * after the operation's keys, with the call option `option` or else `default`.
 */
export interface ExtraField {
  readonly key: string
  /** The call option that sets it (the CLI flag is its kebab-case form). */
  readonly option: string
  /** Named values (the option takes a name); absent = the option takes any int32. */
  readonly choices?: Readonly<Record<string, number>>
  /** Sent when the option is absent. */
  readonly default: number
  readonly description: string
}

export interface Operation<
  Name extends string = string,
  P extends ReadonlyArray<Param> = ReadonlyArray<Param>,
  A = unknown
> {
  /** SDK method name (the VoiceRoom-era Go function name, lower camel case). */
  readonly name: Name
  readonly description: string
  /** Changes state on the gateway: never retried implicitly. */
  readonly write: boolean
  /** FPNN method name per dialect. */
  readonly wire: { readonly [D in Dialect]: string }
  /** Parameters in call order. */
  readonly params: P
  /** Request keys in the order the Go SDK writes them (after pid, sign, salt, ts). */
  readonly wireOrder: ReadonlyArray<P[number]["key"]>
  readonly extras: { readonly [D in Dialect]?: ReadonlyArray<ExtraField> }
  /** OK answer map → result, per dialect. */
  readonly answer: { readonly [D in Dialect]: Schema.Codec<A, unknown> }
}

/** The caller's argument types of a parameter list. */
export type ArgsOf<P extends ReadonlyArray<Param>> = {
  -readonly [I in keyof P]: P[I] extends Param<infer K> ? KindTypes[K]["input"] : never
}
/** The validated values of a parameter list (what the emulator's semantics receive). */
export type ValuesOf<P extends ReadonlyArray<Param>> = {
  -readonly [I in keyof P]: P[I] extends Param<infer K> ? KindTypes[K]["value"] : never
}

/**
 * An entry of the table as written: what the two dialects share is written once. `wire`
 * is the voice method (by default the operation's name), the rtc one being it with
 * `RTCRoom` for `VoiceRoom` (the naming of every RTC-era method); `answer` is one codec
 * for both dialects; `wireOrder` is the parameters' keys in order, unless the Go SDK
 * writes them in another.
 */
interface OperationSpec<Name extends string, P extends ReadonlyArray<Param>, A> {
  readonly name: Name
  readonly description: string
  readonly write: boolean
  readonly wire?: string | Operation["wire"]
  readonly params: P
  readonly wireOrder?: Operation<Name, P, A>["wireOrder"]
  readonly extras?: Operation<Name, P, A>["extras"]
  readonly answer: Schema.Codec<A, unknown> | Operation<Name, P, A>["answer"]
}

const bothDialects = <T>(value: T): { readonly [D in Dialect]: T } => ({ voice: value, rtc: value })

const wireOf = (wire: string): Operation["wire"] => ({ voice: wire, rtc: wire.replace("VoiceRoom", "RTCRoom") })

const define = <const Name extends string, const P extends ReadonlyArray<Param>, A>(
  spec: OperationSpec<Name, P, A>
): Operation<Name, P, A> => ({
  ...spec,
  wire: typeof spec.wire === "object" ? spec.wire : wireOf(spec.wire ?? spec.name),
  wireOrder: spec.wireOrder ?? spec.params.map((param) => param.key),
  extras: spec.extras ?? {},
  answer: Schema.isSchema(spec.answer) ? bothDialects(spec.answer) : spec.answer
})

interface TableParam<K extends ParamKind, Key extends string, D extends string> extends Param<K> {
  readonly name: K
  readonly key: Key
  readonly description: D
}

/**
 * A parameter named after its kind (every parameter of the table is), sent under its
 * name unless `key` says otherwise.
 */
function param<const K extends ParamKind, const D extends string>(kind: K, description: D): TableParam<K, K, D>
function param<const K extends ParamKind, const D extends string, const Key extends string>(
  kind: K,
  description: D,
  key: Key
): TableParam<K, Key, D>
function param(kind: ParamKind, description: string, key: string = kind): Param {
  return { name: kind, kind, key, description }
}

const roomId = param("roomId", "the room id (int64)", "rid")

export const Operations = {
  inviteUserIntoVoiceRoom: define({
    name: "inviteUserIntoVoiceRoom",
    description: "Invite users into a room on behalf of a member; the invitees join from their own client.",
    write: true,
    params: [
      roomId,
      param("fromUid", "the inviting user, who must be in the room"),
      param("uids", "the users to invite (non-empty)", "toUids")
    ],
    wireOrder: ["rid", "toUids", "fromUid"],
    answer: Silent
  }),
  pullUserIntoVoiceRoom: define({
    name: "pullUserIntoVoiceRoom",
    description: "Force users into a room, creating the room when it does not exist.",
    write: true,
    wire: "pullIntoVoiceRoom",
    params: [roomId, param("uids", "the users to pull in (non-empty)", "toUids")],
    // The RTC-era Go SDK's PullUserIntoRTCRoom(roomId, uids, roomType, voiceRange,
    // maxReceiveStreams) always writes the three, in this order; Go has no defaults, so
    // the SDK sends type voice (the room type its examples pass) and 0 (Go's zero value).
    extras: {
      rtc: [
        {
          key: "type",
          option: "type",
          choices: { voice: 1, video: 2 },
          default: 1,
          description: "room type: voice or video"
        },
        {
          key: "voiceRange",
          option: "voiceRange",
          default: 0,
          description: "range-voice hearing range (int32; 2024 SDK, meaning undocumented)"
        },
        {
          key: "maxReceiveStreams",
          option: "maxReceiveStreams",
          default: 0,
          description: "cap on streams received at once (int32; 2024 SDK, meaning undocumented)"
        }
      ]
    },
    answer: Silent
  }),
  closeVoiceRoom: define({
    name: "closeVoiceRoom",
    description: "Close (dissolve) a room.",
    write: true,
    params: [roomId],
    answer: Silent
  }),
  kickoutFromVoiceRoom: define({
    name: "kickoutFromVoiceRoom",
    description: "Remove a user from a room.",
    write: true,
    params: [roomId, param("uid", "the user to remove"), param("fromUid", "the user who issues the kick")],
    wireOrder: ["rid", "fromUid", "uid"],
    answer: Silent
  }),
  setVoiceRoomMicStatus: define({
    name: "setVoiceRoomMicStatus",
    description: "Set the default microphone state (on = true) of users entering a room.",
    write: true,
    params: [roomId, param("status", "true = microphones on")],
    answer: Silent
  }),
  getVoiceRoomList: define({
    name: "getVoiceRoomList",
    description: "List the ids of the project's open rooms.",
    write: false,
    params: [],
    answer: RoomList
  }),
  getVoiceRoomMembers: define({
    name: "getVoiceRoomMembers",
    description: "List a room's members and managers (and its owner under the rtc dialect).",
    write: false,
    params: [roomId],
    answer: {
      voice: VoiceMembers as Schema.Codec<VoiceRoomMembers, unknown>,
      rtc: RtcMembers as Schema.Codec<VoiceRoomMembers, unknown>
    }
  }),
  getVoiceRoomMemberCount: define({
    name: "getVoiceRoomMemberCount",
    description: "Count the users in a room.",
    write: false,
    params: [roomId],
    answer: MemberCount
  }),
  adminCommand: define({
    name: "adminCommand",
    description: "Apply an administrative command (grant/revoke administrator, forbid/allow audio or video, " +
      "close microphones or cameras) to users of a room.",
    write: true,
    params: [
      roomId,
      param("uids", "the users the command applies to (non-empty)"),
      param("command", "the command")
    ],
    answer: Silent
  })
} as const

export type Operations = typeof Operations
export type OperationName = keyof Operations
export type AnyOperation = Operations[OperationName]

export const operationNames = Object.keys(Operations) as ReadonlyArray<OperationName>

/** The operation a wire method name belongs to, with its dialect(s). */
export const operationByWireMethod: ReadonlyMap<
  string,
  { readonly operation: AnyOperation; readonly dialects: ReadonlyArray<Dialect> }
> = (() => {
  const map = new Map<string, { operation: AnyOperation; dialects: Array<Dialect> }>()
  for (const name of operationNames) {
    const operation = Operations[name]
    for (const dialect of dialects) {
      const entry = map.get(operation.wire[dialect])
      if (entry === undefined) map.set(operation.wire[dialect], { operation, dialects: [dialect] })
      else entry.dialects.push(dialect)
    }
  }
  return map
})()

/** An operation's parameters as a plain list (every operation's tuple is one). */
export const paramList = (operation: AnyOperation): ReadonlyArray<Param> => operation.params

/** The result type of an operation. */
export type ResultOf<O> = O extends Operation<string, ReadonlyArray<Param>, infer A> ? A : never
/** The parameter list of an operation. */
export type ParamsOf<O> = O extends Operation<string, infer P, unknown> ? P : never
