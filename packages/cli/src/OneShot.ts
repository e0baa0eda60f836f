/**
 * The one-shot reading of an operation command line (`rtm-voice count --json 42`), so
 * that the executable can make the call without evaluating effect's CLI parser.
 *
 * It accepts only command lines that effect's CLI (CliTree.ts) parses without an error,
 * and reads them as it does: the same flags and positionals, derived from the same
 * operation table (Commands.ts's `commandShapes`) and setting flags (Settings.ts); flags and positionals in
 * any order; `--flag value` and `--flag=value`; a value that starts with `-` only when
 * it is a negative number; `--json` never takes the next token, `--json=<literal>` takes
 * effect's boolean literals. Everything else answers `undefined` and goes to effect's
 * CLI, which prints the help, the version, or the usage error: short flags, `--`, an
 * unknown or repeated flag, a missing flag value, a positional count or literal effect
 * would reject, an empty `uids` list.
 */
import type { ParamKind } from "@rtm-voice/voice-room"
import { DIALECTS, SETTING_FLAGS } from "./Settings.js"

/** What the reading needs of an operation command (Commands.ts's `commandShapes` derives it from the table). */
export interface CommandShape {
  readonly name: string
  /** The kinds of the positionals, in command-line order (a `uids` list last). */
  readonly positionals: ReadonlyArray<ParamKind>
  /** Whether the command takes `--from`. */
  readonly from: boolean
  /** The flags of the dialect extras (`type`, `voice-range`). */
  readonly extraFlags: ReadonlyArray<string>
}

/** The operation commands and the admin command names: plain data (built into commands.json). */
export interface OneShotTable {
  readonly commands: ReadonlyArray<CommandShape>
  readonly adminCommands: ReadonlyArray<string>
}

/** An operation command line, as effect's CLI would hand it to the command's handler. */
export interface OneShotCall {
  /** The command's name (`count`). */
  readonly command: string
  /** The flags given, by flag name (`server-key`), each once, with its value as typed. */
  readonly flags: ReadonlyMap<string, string>
  /** `--json`: true or false. */
  readonly json: boolean
  /** One entry per positional of the spec; the `uids` list as an array. */
  readonly positionals: ReadonlyArray<string | ReadonlyArray<string>>
}

/** effect's lexer: a token is a value unless it starts with `-` and is not a negative number. */
const NEGATIVE_NUMBER = /^-(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const isValue = (arg: string): boolean => !arg.startsWith("-") || NEGATIVE_NUMBER.test(arg)

/** effect's boolean literals (Schema.BooleanLiterals), exact. */
const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  yes: true,
  on: true,
  1: true,
  y: true,
  false: false,
  no: false,
  off: false,
  0: false,
  n: false
}

type FlagCheck = (value: string) => boolean
const anyString: FlagCheck = () => true

/** The flags of a command, by name, with the check effect's flag parser makes on the value. */
const flagsOf = (shape: CommandShape): ReadonlyMap<string, FlagCheck> => {
  const flags = new Map<string, FlagCheck>()
  for (const name of Object.values(SETTING_FLAGS)) flags.set(name, anyString)
  flags.set(SETTING_FLAGS.dialect, (v) => (DIALECTS as ReadonlyArray<string>).includes(v))
  flags.set(SETTING_FLAGS.json, (v) => Object.hasOwn(BOOLEANS, v))
  if (shape.from) flags.set("from", anyString)
  for (const flag of shape.extraFlags) flags.set(flag, anyString)
  return flags
}

/** Positionals as effect's arguments would take them; undefined where effect would fail. */
const positionalsOf = (
  table: OneShotTable,
  shape: CommandShape,
  values: ReadonlyArray<string>
): ReadonlyArray<string | ReadonlyArray<string>> | undefined => {
  const params = shape.positionals
  const variadic = params.length > 0 && params[params.length - 1] === "uids"
  if (variadic ? values.length < params.length : values.length !== params.length) return undefined
  const out: Array<string | ReadonlyArray<string>> = []
  for (let i = 0; i < params.length; i++) {
    const kind = params[i]!
    if (kind === "uids") {
      out.push(values.slice(i))
      continue
    }
    const v = values[i]!
    if (kind === "status" && v !== "on" && v !== "off") return undefined
    if (kind === "command" && !table.adminCommands.includes(v)) return undefined
    out.push(v)
  }
  return out
}

/** The call an operation command line asks for, or undefined for effect's CLI to handle. */
export const parseOneShot = (table: OneShotTable, argv: ReadonlyArray<string>): OneShotCall | undefined => {
  const shape = table.commands.find((c) => c.name === argv[0])
  if (shape === undefined) return undefined
  const known = flagsOf(shape)
  const flags = new Map<string, string>()
  const values: Array<string> = []
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!
    if (isValue(arg)) {
      values.push(arg)
      continue
    }
    if (!arg.startsWith("--") || arg === "--" || arg.startsWith("--=")) return undefined
    const eq = arg.indexOf("=")
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    const check = known.get(name)
    if (check === undefined || flags.has(name)) return undefined
    let value: string
    if (eq !== -1) value = arg.slice(eq + 1)
    else if (name === SETTING_FLAGS.json) value = "true" // its optional value: never the next token
    else if (i + 1 < argv.length && isValue(argv[i + 1]!)) value = argv[++i]!
    else return undefined
    if (!check(value)) return undefined
    flags.set(name, value)
  }
  const positionals = positionalsOf(table, shape, values)
  if (positionals === undefined) return undefined
  return { command: shape.name, flags, json: BOOLEANS[flags.get(SETTING_FLAGS.json) ?? "false"]!, positionals }
}
