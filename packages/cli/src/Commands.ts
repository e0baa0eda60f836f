/**
 * The operation commands, derived from the voice-room operation table: this file only
 * names each command; its arguments, flags, help and validation come from the
 * operation's parameters (Operations.ts in @rtm-voice/voice-room).
 *
 * Derivation, by parameter kind: `roomId`, `uid`, `status` (on|off) and `command` are
 * positionals in parameter order; `uids` is a variadic positional, last; `fromUid` is
 * the `--from` flag. Options come right after the command name, positionals after them:
 * `rtm-voice invite --from 7 --json 42 10 11`.
 */
import {
  adminCommandNames,
  type AnyOperation,
  type ExtraField,
  extraOptionsOf,
  type OperationName,
  Operations,
  type Param,
  type ParamKind,
  VoiceRoomValidationError
} from "@rtm-voice/voice-room"
import { Result } from "effect"
import type { OneShotTable } from "./OneShot.js"

/**
 * The CLI command of each operation, in the order `--help` lists them. A `Record` over
 * the operation names: a new operation is a compile error until it has a command.
 */
const commandOf = {
  getVoiceRoomList: "rooms",
  getVoiceRoomMembers: "members",
  getVoiceRoomMemberCount: "count",
  pullUserIntoVoiceRoom: "pull",
  inviteUserIntoVoiceRoom: "invite",
  kickoutFromVoiceRoom: "kick",
  closeVoiceRoom: "close",
  setVoiceRoomMicStatus: "mic",
  adminCommand: "admin"
} as const satisfies Record<OperationName, string>

/** CLI command name → operation, in the order `--help` lists them. */
export const commandNames: ReadonlyArray<readonly [string, OperationName]> = (
  Object.keys(commandOf) as Array<keyof typeof commandOf>
).map((operation) => [commandOf[operation], operation])

export interface CommandSpec {
  readonly name: string
  readonly operation: AnyOperation
  /** Positional parameters, in command-line order (a `uids` list last). */
  readonly positionals: ReadonlyArray<Param>
  /** The parameter given as `--from`, if any. */
  readonly fromFlag: Param | undefined
  /** Flags of the dialect extras (e.g. pull's `--type`, `--voice-range`), derived from the table. */
  readonly extraFlags: ReadonlyArray<{ readonly flag: string; readonly extra: ExtraField }>
  /** e.g. `invite --from <fromUid> <roomId> <uids...>` */
  readonly usage: string
}

/** How a parameter of each kind is shown in a usage line. */
const metavars: Record<ParamKind, (p: Param) => string> = {
  roomId: (p) => `<${p.name}>`,
  uid: (p) => `<${p.name}>`,
  fromUid: (p) => `<${p.name}>`,
  uids: (p) => `<${p.name}...>`,
  status: () => "on|off",
  command: () => "<command>"
}
const metavar = (p: Param): string => metavars[p.kind](p)

export const commandSpecs: ReadonlyArray<CommandSpec> = commandNames.map(([name, op]) => {
  const operation: AnyOperation = Operations[op]
  const params: ReadonlyArray<Param> = operation.params
  const fromFlag = params.find((p) => p.kind === "fromUid")
  const positionals = [
    ...params.filter((p) => p.kind !== "fromUid" && p.kind !== "uids"),
    ...params.filter((p) => p.kind === "uids")
  ]
  const usage = [name, ...(fromFlag ? [`--from <${fromFlag.name}>`] : []), ...positionals.map(metavar)].join(" ")
  const extraFlags = extraOptionsOf(operation).map((extra) => ({
    flag: extra.option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
    extra
  }))
  return { name, operation, positionals, fromFlag, extraFlags, usage }
})

/** The operation commands as the one-shot reading of a command line needs them (OneShot.ts). */
export const oneShotTable = (): OneShotTable => ({
  commands: commandSpecs.map((spec) => ({
    name: spec.name,
    positionals: spec.positionals.map((p) => p.kind),
    from: spec.fromFlag !== undefined,
    extraFlags: spec.extraFlags.map(({ flag }) => flag)
  })),
  adminCommands: adminCommandNames
})

/** Help text of an extra's flag. */
export const extraFlagDescription = (spec: CommandSpec, extra: ExtraField): string => {
  const dialects = Object.entries(spec.operation.extras).filter(([, list]) => list?.includes(extra)).map(([d]) => d)
  const values = extra.choices === undefined ? "an int32" : Object.keys(extra.choices).join("|")
  const fallback = extra.choices === undefined
    ? String(extra.default)
    : Object.entries(extra.choices).find(([, v]) => v === extra.default)?.[0]
  return `${extra.description}: ${values}, default ${fallback} (--dialect ${dialects.join("/")} only)`
}

/** The call options from the extras' flags (absent flags left out); or the first usage error. */
export const toCallOptions = (
  spec: CommandSpec,
  values: Readonly<Record<string, string | undefined>>
): Result.Result<Record<string, unknown>, VoiceRoomValidationError> => {
  const options: Record<string, unknown> = {}
  for (const { extra, flag } of spec.extraFlags) {
    const text = values[extra.option]
    if (text === undefined) continue
    if (extra.choices !== undefined) options[extra.option] = text
    else if (/^[+-]?\d+$/.test(text.trim())) options[extra.option] = Number(text.trim()) // range: the SDK's check
    else return Result.fail(usageError(spec, extra.option, `--${flag} must be an integer, got ${JSON.stringify(text)}`))
  }
  return Result.succeed(options)
}

const usageError = (spec: CommandSpec, parameter: string, message: string) =>
  new VoiceRoomValidationError({ operation: spec.operation.name, parameter, message: `${spec.name}: ${message}` })

/** A decimal integer as bigint; the range is checked by the SDK's own validation. */
const parseInteger = (
  spec: CommandSpec,
  parameter: string,
  text: string
): Result.Result<bigint, VoiceRoomValidationError> =>
  /^[+-]?\d+$/.test(text.trim())
    ? Result.succeed(BigInt(text.trim()))
    : Result.fail(usageError(spec, parameter, `${parameter} must be an integer id, got ${JSON.stringify(text)}`))

type Parser = (
  spec: CommandSpec,
  p: Param,
  raw: string | ReadonlyArray<string>
) => Result.Result<unknown, VoiceRoomValidationError>

const parseId: Parser = (spec, p, raw) => parseInteger(spec, p.name, String(raw))

/** How a command-line value of each kind becomes the SDK's argument (or a usage error). */
const parsers: Record<ParamKind, Parser> = {
  roomId: parseId,
  uid: parseId,
  fromUid: parseId,
  uids: (spec, p, raw) => {
    const out: Array<bigint> = []
    const items = raw as ReadonlyArray<string>
    for (let i = 0; i < items.length; i++) {
      const id = parseInteger(spec, `${p.name}[${i}]`, items[i]!)
      if (Result.isFailure(id)) return Result.fail(id.failure)
      out.push(id.success)
    }
    return Result.succeed(out) // an empty list is rejected by the SDK's validation, before connecting
  },
  status: (spec, p, raw) => {
    const s = String(raw).toLowerCase()
    if (s === "on" || s === "true") return Result.succeed(true)
    if (s === "off" || s === "false") return Result.succeed(false)
    return Result.fail(usageError(spec, p.name, `${p.name} must be on or off, got ${JSON.stringify(raw)}`))
  },
  command: (spec, p, raw) =>
    (adminCommandNames as ReadonlyArray<string>).includes(String(raw))
      ? Result.succeed(raw)
      : Result.fail(
        usageError(spec, p.name, `${p.name} must be one of ${adminCommandNames.join(", ")}; got ${JSON.stringify(raw)}`)
      )
}

const parseParam: Parser = (spec, p, raw) => parsers[p.kind](spec, p, raw)

/**
 * The operation's arguments, in the SDK's parameter order, from the command line's
 * positionals and `--from`; or the first usage error.
 */
export const toArguments = (
  spec: CommandSpec,
  positionals: ReadonlyArray<string | ReadonlyArray<string>>,
  from: string | undefined
): Result.Result<ReadonlyArray<unknown>, VoiceRoomValidationError> => {
  const byName = new Map<string, unknown>()
  for (let i = 0; i < spec.positionals.length; i++) {
    const p = spec.positionals[i]!
    const value = parseParam(spec, p, positionals[i] ?? (p.kind === "uids" ? [] : ""))
    if (Result.isFailure(value)) return Result.fail(value.failure)
    byName.set(p.name, value.success)
  }
  if (spec.fromFlag !== undefined) {
    if (from === undefined) {
      return Result.fail(usageError(spec, spec.fromFlag.name, `--from <${spec.fromFlag.name}> is required`))
    }
    const value = parseParam(spec, spec.fromFlag, from)
    if (Result.isFailure(value)) return Result.fail(value.failure)
    byName.set(spec.fromFlag.name, value.success)
  }
  const params: ReadonlyArray<Param> = spec.operation.params
  return Result.succeed(params.map((p) => byName.get(p.name)))
}
