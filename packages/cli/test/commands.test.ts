/**
 * The operation commands derived from the operation table (Commands.ts), in process:
 * one command per operation, their usage strings, how positionals and `--from` map onto
 * the SDK's arguments, and the usage errors. A few runs of the whole `rtm-voice`
 * command (Command.runWith) check parsing against an in-process emulator.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import {
  adminCommandNames,
  buildRequest,
  operationNames,
  Operations,
  VoiceRoomValidationError
} from "@rtm-voice/voice-room"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Redacted, Result } from "effect"
import { CliError, Command } from "effect/cli"
import { TestConsole } from "effect/testing"
import { rtmVoice } from "../src/Cli.js"
import { commandNames, type CommandSpec, commandSpecs, toArguments as toArgumentsResult } from "../src/Commands.js"

/** The arguments, or the usage error (Commands returns a Result). */
const toArguments = (...args: Parameters<typeof toArgumentsResult>) => Result.merge(toArgumentsResult(...args))
import { exactJson } from "../src/Output.js"
import { USAGES } from "./helpers.js"

const spec = (name: string): CommandSpec => {
  const found = commandSpecs.find((s) => s.name === name)
  if (found === undefined) throw new Error(`no command ${name}`)
  return found
}

const expectUsageError = (result: unknown, parameter: string, message: RegExp) => {
  assert.instanceOf(result, VoiceRoomValidationError)
  const e = result as VoiceRoomValidationError
  assert.strictEqual(e.parameter, parameter)
  assert.match(e.message, message)
}

describe("commandSpecs", () => {
  it("has exactly one command per operation of the table, and nothing else", () => {
    const operations = commandSpecs.map((s) => s.operation.name)
    assert.deepStrictEqual([...operations].sort(), [...operationNames].sort())
    assert.strictEqual(new Set(operations).size, operations.length)
    assert.strictEqual(new Set(commandSpecs.map((s) => s.name)).size, commandSpecs.length)
    for (const s of commandSpecs) assert.strictEqual(s.operation, Operations[s.operation.name])
    assert.deepStrictEqual(commandNames.map(([name]) => name), commandSpecs.map((s) => s.name))
  })

  it("names the commands as the issue does", () => {
    assert.deepStrictEqual(Object.fromEntries(commandNames), {
      rooms: "getVoiceRoomList",
      members: "getVoiceRoomMembers",
      count: "getVoiceRoomMemberCount",
      pull: "pullUserIntoVoiceRoom",
      invite: "inviteUserIntoVoiceRoom",
      kick: "kickoutFromVoiceRoom",
      close: "closeVoiceRoom",
      mic: "setVoiceRoomMicStatus",
      admin: "adminCommand"
    })
  })

  it("derives the usage strings: options first, positionals after, a uid list last", () => {
    assert.deepStrictEqual(Object.fromEntries(commandSpecs.map((s) => [s.name, s.usage])), USAGES)
  })

  it("takes every parameter from the table: fromUid as --from, the rest as positionals", () => {
    for (const s of commandSpecs) {
      const params = s.operation.params as ReadonlyArray<{ name: string; kind: string }>
      const fromUids = params.filter((p) => p.kind === "fromUid")
      assert.strictEqual(s.fromFlag?.name, fromUids[0]?.name, s.name)
      assert.deepStrictEqual(
        [...s.positionals.map((p) => p.name), ...(s.fromFlag ? [s.fromFlag.name] : [])].sort(),
        params.map((p) => p.name).sort(),
        s.name
      )
      const uidsAt = s.positionals.findIndex((p) => p.kind === "uids")
      if (uidsAt !== -1) assert.strictEqual(uidsAt, s.positionals.length - 1, `${s.name}: the uid list comes last`)
    }
    assert.deepStrictEqual(commandSpecs.filter((s) => s.fromFlag !== undefined).map((s) => s.name), ["invite", "kick"])
  })
})

describe("toArguments", () => {
  it("puts the command line's values in the SDK's parameter order, as exact bigints", () => {
    assert.deepStrictEqual(toArguments(spec("rooms"), [], undefined), [])
    assert.deepStrictEqual(toArguments(spec("members"), ["9007199254740993"], undefined), [9007199254740993n])
    assert.deepStrictEqual(toArguments(spec("count"), ["42"], undefined), [42n])
    assert.deepStrictEqual(
      toArguments(spec("pull"), ["42", ["9223372036854775807", "-9223372036854775808"]], undefined),
      [42n, [2n ** 63n - 1n, -(2n ** 63n)]]
    )
    // invite(roomId, fromUid, uids)
    assert.deepStrictEqual(toArguments(spec("invite"), ["42", ["10", "11"]], "7"), [42n, 7n, [10n, 11n]])
    // kickoutFromVoiceRoom(roomId, uid, fromUid)
    assert.deepStrictEqual(toArguments(spec("kick"), ["42", "10"], "7"), [42n, 10n, 7n])
    assert.deepStrictEqual(toArguments(spec("close"), ["42"], undefined), [42n])
    assert.deepStrictEqual(toArguments(spec("mic"), ["42", "on"], undefined), [42n, true])
    assert.deepStrictEqual(toArguments(spec("mic"), ["42", "OFF"], undefined), [42n, false])
    // adminCommand(roomId, uids, command); on the command line: admin <roomId> <command> <uids...>
    for (const command of adminCommandNames) {
      assert.deepStrictEqual(toArguments(spec("admin"), ["42", command, ["1", "2"]], undefined), [
        42n,
        [1n, 2n],
        command
      ])
    }
  })

  it("every derived argument list passes the SDK's validation", () => {
    const samples: Record<string, [ReadonlyArray<string | ReadonlyArray<string>>, string | undefined]> = {
      rooms: [[], undefined],
      members: [["1"], undefined],
      count: [["1"], undefined],
      pull: [["1", ["2"]], undefined],
      invite: [["1", ["2"]], "3"],
      kick: [["1", "2"], "3"],
      close: [["1"], undefined],
      mic: [["1", "off"], undefined],
      admin: [["1", "forbidAudio", ["2"]], undefined]
    }
    for (const s of commandSpecs) {
      const [positionals, from] = samples[s.name]!
      const args = toArguments(s, positionals, from)
      assert.notInstanceOf(args, VoiceRoomValidationError, s.name)
      for (const dialect of ["voice", "rtc"] as const) {
        assert.notInstanceOf(
          buildRequest(s.operation, dialect, args as ReadonlyArray<unknown>),
          VoiceRoomValidationError,
          s.name
        )
      }
    }
  })

  it("rejects non-integer ids, naming the parameter", () => {
    for (const bad of ["abc", "1.5", "1e3", "0x10", "", " ", "12abc", "NaN"]) {
      expectUsageError(toArguments(spec("count"), [bad], undefined), "roomId", /^count: roomId must be an integer id/)
    }
    expectUsageError(
      toArguments(spec("pull"), ["42", ["1", "x"]], undefined),
      "uids[1]",
      /uids\[1\] must be an integer/
    )
    expectUsageError(toArguments(spec("kick"), ["42", "ten"], "7"), "uid", /uid must be an integer/)
    expectUsageError(toArguments(spec("invite"), ["42", ["10"]], "seven"), "fromUid", /fromUid must be an integer/)
  })

  it("requires --from where the operation has a fromUid", () => {
    expectUsageError(toArguments(spec("invite"), ["42", ["10"]], undefined), "fromUid", /--from <fromUid> is required/)
    expectUsageError(toArguments(spec("kick"), ["42", "10"], undefined), "fromUid", /--from <fromUid> is required/)
  })

  it("rejects a mic status other than on/off and an unknown admin command", () => {
    expectUsageError(toArguments(spec("mic"), ["42", "maybe"], undefined), "status", /status must be on or off/)
    expectUsageError(
      toArguments(spec("admin"), ["42", "promote", ["1"]], undefined),
      "command",
      /command must be one of grantAdministrator, .*closeCameras/
    )
  })

  it("leaves the int64 range and an empty uid list to the SDK's validation (still before any I/O)", () => {
    const beyond = toArguments(spec("count"), ["9223372036854775808"], undefined)
    assert.deepStrictEqual(beyond, [2n ** 63n])
    expectUsageError(
      buildRequest(spec("count").operation, "voice", beyond as ReadonlyArray<unknown>),
      "roomId",
      /64-bit/
    )
    const below = toArguments(spec("count"), ["-9223372036854775809"], undefined) as ReadonlyArray<unknown>
    expectUsageError(buildRequest(spec("count").operation, "voice", below), "roomId", /64-bit/)
    const empty = toArguments(spec("pull"), ["42", []], undefined) as ReadonlyArray<unknown>
    assert.deepStrictEqual(empty, [42n, []])
    expectUsageError(buildRequest(spec("pull").operation, "voice", empty), "uids", /at least one/)
    const emptyAdmin = toArguments(spec("admin"), ["42", "allowAudio", []], undefined) as ReadonlyArray<unknown>
    expectUsageError(buildRequest(spec("admin").operation, "rtc", emptyAdmin), "uids", /at least one/)
  })
})

describe("exactJson", () => {
  it("writes bigints as bare integer literals, exactly", () => {
    assert.strictEqual(
      exactJson({ rids: [9007199254740993n, -(2n ** 63n)], owner: 2n ** 63n - 1n, count: 3, name: "9" }),
      `{"rids":[9007199254740993,-9223372036854775808],"owner":9223372036854775807,"count":3,"name":"9"}`
    )
  })
})

describe("rtm-voice (in process)", () => {
  const run = Command.runWith(rtmVoice, { version: "test" })
  const SECRET = "in-process-secret-8c1f"

  it.effect("--help on every command prints its usage, its flags and its arguments", () =>
    Effect.gen(function*() {
      const helpOf = (name: string) =>
        Effect.gen(function*() {
          const before = (yield* TestConsole.logLines).length
          yield* run([name, "--help"])
          return (yield* TestConsole.logLines).slice(before).join("\n")
        })
      for (const s of commandSpecs) {
        const help = yield* helpOf(s.name)
        assert.include(help, `Usage: rtm-voice ${s.usage}.`, s.name)
        assert.include(help, `${s.operation.wire.voice} (voice) / ${s.operation.wire.rtc} (rtc)`, s.name)
        for (const flag of ["--endpoint", "--pid", "--secret", "--timeout", "--dialect", "--server-key", "--json"]) {
          assert.include(help, flag, `${s.name} --help`)
        }
        if (s.fromFlag !== undefined) assert.include(help, "--from", s.name)
        for (const p of s.positionals) assert.include(help, p.name, s.name)
      }
      for (const name of ["emulator", "demo", "keygen"]) assert.include(yield* helpOf(name), `rtm-voice ${name}`, name)
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("a missing positional is a CLI parse error (ShowHelp with MissingArgument)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(run(["count", "--endpoint", "127.0.0.1:1", "--pid", "1", "--secret", SECRET]))
      assert.isTrue(CliError.isCliError(error))
      const cliError = error as CliError.CliError
      assert.strictEqual(cliError._tag, "ShowHelp")
      if (cliError._tag === "ShowHelp") assert.strictEqual(cliError.errors[0]?._tag, "MissingArgument")
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("an invalid id fails with VoiceRoomValidationError, not a connection error", () =>
    Effect.gen(function*() {
      // Port 1 on 127.0.0.1 refuses: reaching the network would fail with FpnnConnectionError.
      const flags = ["--endpoint", "127.0.0.1:1", "--pid", "1", "--secret", SECRET]
      for (
        const argv of [
          ["count", ...flags, "abc"],
          ["count", ...flags, "9223372036854775808"],
          ["pull", ...flags, "42"],
          ["invite", ...flags, "42", "1"]
        ]
      ) {
        const error = yield* Effect.flip(run(argv))
        assert.instanceOf(error, VoiceRoomValidationError, argv.join(" "))
      }
      // on|off and the admin commands are literal choices: effect's CLI rejects others
      for (const argv of [["mic", ...flags, "42", "maybe"], ["admin", ...flags, "42", "promote", "1"]]) {
        const error = yield* Effect.flip(run(argv))
        assert.isTrue(CliError.isCliError(error), argv.join(" "))
        const cliError = error as CliError.CliError
        if (cliError._tag === "ShowHelp") assert.strictEqual(cliError.errors[0]?._tag, "InvalidValue")
      }
    }).pipe(Effect.provide(NodeServices.layer)))

  it.live("runs commands against an in-process emulator; --json never swallows an id", () =>
    Effect.gen(function*() {
      const emulator = yield* makeEmulator({ pid: 7, secret: Redacted.make(SECRET) })
      const flags = ["--endpoint", emulator.address, "--pid", "7", "--secret", SECRET]
      yield* run(["pull", ...flags, "--json", "1", "0", "1"])
      yield* run(["count", ...flags, "--json", "1"])
      yield* run(["count", ...flags, "--json=false", "1"])
      yield* run(["members", ...flags, "--dialect", "rtc", "--json", "on"]).pipe(Effect.flip) // "on" is not an id
      yield* run(["rooms", ...flags, "--json"])
      assert.deepStrictEqual(yield* TestConsole.logLines, [
        `{"ok":true}`,
        `{"count":2}`,
        `room 1: 2 members`,
        `{"rids":[1]}`
      ])
      assert.isFalse((yield* TestConsole.errorLines).join("\n").includes(SECRET))
    }).pipe(Effect.provide([NodeServices.layer, TestConsole.layer])))
})
