/** The dialects, the admin commands and the parameter kinds of the operation table. */
import { Schema } from "effect"
import { VoiceRoomValidationError } from "../Errors.js"
import { Int32, Int64, type Int64Input, toBoolean, toChoice, toInt64, toInt64List } from "../Ids.js"

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
  uids: {
    wire: Schema.Array(Int64),
    typeName: "int64[]",
    wireTypeName: "int64[]",
    validate: toInt64List,
    toWire: same,
    fromWire: same
  },
  status: {
    wire: Schema.Boolean,
    typeName: "bool",
    wireTypeName: "bool",
    validate: toBoolean,
    toWire: same,
    fromWire: same
  },
  command: {
    wire: Int32,
    typeName: adminCommandNames.join("|"),
    wireTypeName: "int32",
    validate: (operation, parameter, value) => toChoice(operation, parameter, adminCommandNames, value),
    toWire: (name) => adminCommands[name],
    fromWire: adminCommandOf
  }
}
