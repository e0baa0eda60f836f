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
import { Schema, SchemaGetter } from "effect"
import { VoiceRoomValidationError } from "./Errors.js"
import { Int32, Int64, type Int64Input, toBoolean, toChoice, toInt64, toInt64List } from "./Ids.js"

/** Which generation of method names is spoken: `voice` (2021 VoiceRoom API) or `rtc`. */
export type Dialect = "voice" | "rtc"
export const dialects: ReadonlyArray<Dialect> = ["voice", "rtc"]

// ---- admin commands (RTM-VOICE.md §6)

export const adminCommands = {
  grantAdministrator: 0,
  revokeAdministrator: 1,
  forbidAudio: 2,
  allowAudio: 3,
  forbidVideo: 4,
  allowVideo: 5,
  closeMicrophones: 6,
  closeCameras: 7
} as const
export type AdminCommand = keyof typeof adminCommands
export const adminCommandNames = Object.keys(adminCommands) as ReadonlyArray<AdminCommand>
/** The name of a wire command code, or undefined for codes outside 0-7. */
export const adminCommandOf = (code: number): AdminCommand | undefined => adminCommandNames[code]

// ---- parameter kinds

/**
 * What a parameter is. The kind fixes its TypeScript type, its validation, its wire
 * type and how the emulator interprets it.
 */
export type ParamKind = "roomId" | "uid" | "fromUid" | "uids" | "status" | "command"

/** Per kind: the caller's type (`input`), the validated value, the value on the wire. */
export interface KindTypes {
  readonly roomId: { readonly input: Int64Input; readonly value: bigint; readonly wire: bigint }
  readonly uid: { readonly input: Int64Input; readonly value: bigint; readonly wire: bigint }
  readonly fromUid: { readonly input: Int64Input; readonly value: bigint; readonly wire: bigint }
  readonly uids: {
    readonly input: ReadonlyArray<Int64Input>
    readonly value: ReadonlyArray<bigint>
    readonly wire: ReadonlyArray<bigint>
  }
  readonly status: { readonly input: boolean; readonly value: boolean; readonly wire: boolean }
  readonly command: { readonly input: AdminCommand; readonly value: AdminCommand; readonly wire: number }
}

export interface KindSpec<K extends ParamKind> {
  /** The msgpack type an FPNN server checks (10010 when it does not match). */
  readonly wire: Schema.Codec<KindTypes[K]["wire"], unknown>
  /** Short type name for docs and CLI help. */
  readonly typeName: string
  /** The msgpack type on the wire, as the docs name it (`int64`, `int64[]`, `bool`, `int32`). */
  readonly wireTypeName: "int64" | "int64[]" | "bool" | "int32"
  /** Caller's value → validated value, or an error naming the parameter. */
  readonly validate: (
    operation: string,
    parameter: string,
    value: unknown
  ) => KindTypes[K]["value"] | VoiceRoomValidationError
  readonly toWire: (value: KindTypes[K]["value"]) => KindTypes[K]["wire"]
  /** Wire value → value, or undefined when well-typed but meaningless (RTM 200034). */
  readonly fromWire: (wire: KindTypes[K]["wire"]) => KindTypes[K]["value"] | undefined
}

const same = <A>(a: A): A => a

const int64Kind = <K extends "roomId" | "uid" | "fromUid">(): KindSpec<K> => ({
  wire: Int64,
  typeName: "int64",
  wireTypeName: "int64",
  validate: toInt64,
  toWire: same,
  fromWire: same
})

export const kinds: { readonly [K in ParamKind]: KindSpec<K> } = {
  roomId: int64Kind(),
  uid: int64Kind(),
  fromUid: int64Kind(),
  uids: { wire: Schema.Array(Int64), typeName: "int64[]", wireTypeName: "int64[]", validate: toInt64List, toWire: same, fromWire: same },
  status: { wire: Schema.Boolean, typeName: "bool", wireTypeName: "bool", validate: toBoolean, toWire: same, fromWire: same },
  command: {
    wire: Int32,
    typeName: adminCommandNames.join("|"),
    wireTypeName: "int32",
    validate: (operation, parameter, value) => toChoice(operation, parameter, adminCommandNames, value),
    toWire: (name) => adminCommands[name],
    fromWire: adminCommandOf
  }
}

// ---- answers

/** Members of a room. `owner` is only reported by the `rtc` dialect. */
export interface VoiceRoomMembers {
  readonly uids: ReadonlyArray<bigint>
  readonly managers: ReadonlyArray<bigint>
  readonly owner?: bigint
}

/** `{}`: the OK answer of the silent operations; extra keys are ignored. */
const Silent = Schema.Struct({}).pipe(
  Schema.decodeTo(Schema.Void, {
    decode: SchemaGetter.transform(() => undefined),
    encode: SchemaGetter.transform(() => ({}))
  })
)

const RoomList = Schema.Struct({ rids: Schema.Array(Int64) }).pipe(
  Schema.decodeTo(Schema.Array(Schema.BigInt), {
    decode: SchemaGetter.transform(({ rids }) => rids),
    encode: SchemaGetter.transform((rids) => ({ rids }))
  })
)

const MemberCount = Schema.Struct({ count: Int32 }).pipe(
  Schema.decodeTo(Schema.Number, {
    decode: SchemaGetter.transform(({ count }) => count),
    encode: SchemaGetter.transform((count) => ({ count }))
  })
)

const VoiceMembers = Schema.Struct({ uids: Schema.Array(Int64), managers: Schema.Array(Int64) })

const RtcMembers = Schema.Struct({ uids: Schema.Array(Int64), administrators: Schema.Array(Int64), owner: Int64 }).pipe(
  Schema.decodeTo(
    Schema.Struct({ uids: Schema.Array(Schema.BigInt), managers: Schema.Array(Schema.BigInt), owner: Schema.BigInt }),
    {
      decode: SchemaGetter.transform(({ administrators, owner, uids }) => ({ uids, managers: administrators, owner })),
      encode: SchemaGetter.transform(({ managers, owner, uids }) => ({ uids, administrators: managers, owner }))
    }
  )
)

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

const define = <const Name extends string, const P extends ReadonlyArray<Param>, A>(
  op: Omit<Operation<Name, P, A>, "extras"> & { readonly extras?: Operation<Name, P, A>["extras"] }
): Operation<Name, P, A> => ({ ...op, extras: op.extras ?? {} })

const roomId = { name: "roomId", kind: "roomId", key: "rid", description: "the room id (int64)" } as const

export const Operations = {
  inviteUserIntoVoiceRoom: define({
    name: "inviteUserIntoVoiceRoom",
    description: "Invite users into a room on behalf of a member; the invitees join from their own client.",
    write: true,
    wire: { voice: "inviteUserIntoVoiceRoom", rtc: "inviteUserIntoRTCRoom" },
    params: [
      roomId,
      { name: "fromUid", kind: "fromUid", key: "fromUid", description: "the inviting user, who must be in the room" },
      { name: "uids", kind: "uids", key: "toUids", description: "the users to invite (non-empty)" }
    ],
    wireOrder: ["rid", "toUids", "fromUid"],
    answer: { voice: Silent, rtc: Silent }
  }),
  pullUserIntoVoiceRoom: define({
    name: "pullUserIntoVoiceRoom",
    description: "Force users into a room, creating the room when it does not exist.",
    write: true,
    wire: { voice: "pullIntoVoiceRoom", rtc: "pullIntoRTCRoom" },
    params: [roomId, { name: "uids", kind: "uids", key: "toUids", description: "the users to pull in (non-empty)" }],
    wireOrder: ["rid", "toUids"],
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
    answer: { voice: Silent, rtc: Silent }
  }),
  closeVoiceRoom: define({
    name: "closeVoiceRoom",
    description: "Close (dissolve) a room.",
    write: true,
    wire: { voice: "closeVoiceRoom", rtc: "closeRTCRoom" },
    params: [roomId],
    wireOrder: ["rid"],
    answer: { voice: Silent, rtc: Silent }
  }),
  kickoutFromVoiceRoom: define({
    name: "kickoutFromVoiceRoom",
    description: "Remove a user from a room.",
    write: true,
    wire: { voice: "kickoutFromVoiceRoom", rtc: "kickoutFromRTCRoom" },
    params: [
      roomId,
      { name: "uid", kind: "uid", key: "uid", description: "the user to remove" },
      { name: "fromUid", kind: "fromUid", key: "fromUid", description: "the user on whose behalf the kick is issued" }
    ],
    wireOrder: ["rid", "fromUid", "uid"],
    answer: { voice: Silent, rtc: Silent }
  }),
  setVoiceRoomMicStatus: define({
    name: "setVoiceRoomMicStatus",
    description: "Set the default microphone state (on = true) of users entering a room.",
    write: true,
    wire: { voice: "setVoiceRoomMicStatus", rtc: "setRTCRoomMicStatus" },
    params: [roomId, { name: "status", kind: "status", key: "status", description: "true = microphones on" }],
    wireOrder: ["rid", "status"],
    answer: { voice: Silent, rtc: Silent }
  }),
  getVoiceRoomList: define({
    name: "getVoiceRoomList",
    description: "List the ids of the project's open rooms.",
    write: false,
    wire: { voice: "getVoiceRoomList", rtc: "getRTCRoomList" },
    params: [],
    wireOrder: [],
    answer: { voice: RoomList, rtc: RoomList }
  }),
  getVoiceRoomMembers: define({
    name: "getVoiceRoomMembers",
    description: "List a room's members and managers (and its owner under the rtc dialect).",
    write: false,
    wire: { voice: "getVoiceRoomMembers", rtc: "getRTCRoomMembers" },
    params: [roomId],
    wireOrder: ["rid"],
    answer: {
      voice: VoiceMembers as Schema.Codec<VoiceRoomMembers, unknown>,
      rtc: RtcMembers as Schema.Codec<VoiceRoomMembers, unknown>
    }
  }),
  getVoiceRoomMemberCount: define({
    name: "getVoiceRoomMemberCount",
    description: "Count the users in a room.",
    write: false,
    wire: { voice: "getVoiceRoomMemberCount", rtc: "getRTCRoomMemberCount" },
    params: [roomId],
    wireOrder: ["rid"],
    answer: { voice: MemberCount, rtc: MemberCount }
  }),
  adminCommand: define({
    name: "adminCommand",
    description: "Apply an administrative command (grant/revoke administrator, forbid/allow audio or video, " +
      "close microphones or cameras) to users of a room.",
    write: true,
    wire: { voice: "adminCommand", rtc: "adminCommand" },
    params: [
      roomId,
      { name: "uids", kind: "uids", key: "uids", description: "the users the command applies to (non-empty)" },
      { name: "command", kind: "command", key: "command", description: "the command" }
    ],
    wireOrder: ["rid", "uids", "command"],
    answer: { voice: Silent, rtc: Silent }
  })
} as const

export type Operations = typeof Operations
export type OperationName = keyof Operations
export type AnyOperation = Operations[OperationName]

export const operationNames = Object.keys(Operations) as ReadonlyArray<OperationName>

/** The operation a wire method name belongs to, with its dialect(s). */
export const operationByWireMethod: ReadonlyMap<string, { readonly operation: AnyOperation; readonly dialects: ReadonlyArray<Dialect> }> =
  (() => {
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

/** The call options an operation's extra fields are set with, in any dialect. */
export const extraOptionsOf = (operation: AnyOperation): ReadonlyArray<ExtraField> => {
  const seen = new Map<string, ExtraField>()
  for (const dialect of dialects) for (const extra of operation.extras[dialect] ?? []) seen.set(extra.option, extra)
  return [...seen.values()]
}

const extraValue = (
  operation: AnyOperation,
  extra: ExtraField,
  value: unknown
): number | VoiceRoomValidationError => {
  const fail = (message: string) =>
    new VoiceRoomValidationError({
      operation: operation.name,
      parameter: extra.option,
      message: `${operation.name}: ${message}`
    })
  if (extra.choices !== undefined) {
    const names = Object.keys(extra.choices)
    return typeof value === "string" && Object.hasOwn(extra.choices, value)
      ? extra.choices[value]!
      : fail(`${extra.option} must be one of ${names.join(", ")}, got ${JSON.stringify(value) ?? String(value)}`)
  }
  return typeof value === "number" && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff
    ? value
    : fail(`${extra.option} must be an int32 (an integer from -2147483648 to 2147483647), got ${String(value)}`)
}

/**
 * Validates the caller's arguments and builds the request fields, in wire order, with
 * the dialect's extra fields last (from `options`, else their defaults). Fails with the
 * first invalid parameter; an extra's option given under a dialect without that field
 * is an error too (it would be silently dropped).
 */
export const buildRequest = (
  operation: AnyOperation,
  dialect: Dialect,
  args: ReadonlyArray<unknown>,
  options?: Readonly<Record<string, unknown>>
): Record<string, unknown> | VoiceRoomValidationError => {
  const params = paramList(operation)
  const values: Array<unknown> = new Array(params.length)
  for (let i = 0; i < params.length; i++) {
    const param = params[i]!
    const spec = kinds[param.kind] as KindSpec<ParamKind>
    const value = spec.validate(operation.name, param.name, args[i])
    if (value instanceof VoiceRoomValidationError) return value
    values[i] = spec.toWire(value as never)
  }
  const fields: Record<string, unknown> = {}
  const order = wireIndex(operation)
  for (let i = 0; i < order.length; i++) fields[operation.wireOrder[i]!] = values[order[i]!]
  const extras = operation.extras[dialect] ?? []
  for (const extra of extras) {
    const given = options?.[extra.option]
    const value = given === undefined ? extra.default : extraValue(operation, extra, given)
    if (value instanceof VoiceRoomValidationError) return value
    fields[extra.key] = value
  }
  if (options !== undefined && extras.length === 0) {
    for (const extra of extraOptionsOf(operation)) {
      if (options[extra.option] === undefined) continue
      return new VoiceRoomValidationError({
        operation: operation.name,
        parameter: extra.option,
        message: `${operation.name}: ${extra.option} is sent only under the ${
          dialects.filter((d) => (operation.extras[d] ?? []).length > 0).join(", ")
        } dialect; this client uses ${dialect}`
      })
    }
  }
  return fields
}

// For each key of `wireOrder`, the index of its parameter (computed once per operation).
const wireIndexes = new Map<AnyOperation, ReadonlyArray<number>>()
const wireIndex = (operation: AnyOperation): ReadonlyArray<number> => {
  let order = wireIndexes.get(operation)
  if (order === undefined) {
    const params = paramList(operation)
    order = operation.wireOrder.map((key) => params.findIndex((p) => p.key === key))
    wireIndexes.set(operation, order)
  }
  return order
}
