/**
 * Every `rtm-voice` command end to end in this process (inProcess.ts: the CLI's own runner,
 * a captured console, a given environment) against an emulator on a real TCP port: every
 * operation, exact int64 ids in `--json`, settings from the environment or flags, the
 * rtc dialect, exit 1 for the service or the connection and exit 2 before connecting, the
 * help texts, keygen's refusal to overwrite, the demo, and the secret in no output. The
 * executable itself (its start, help.json, stdio, signals) is cli.e2e.test.ts's.
 */
import { canConnect, captured, closedPort, recordingListener } from "@rtm-voice/test-support"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Exit, Redacted, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { COMMANDS, USAGES } from "./helpers.js"
import { type cliEffect, cliInProcess } from "./inProcess.js"

type Run = Effect.Success<ReturnType<typeof cliEffect>>

const PID = "41000019"
// Distinctive, so that a grep over every captured output can only match a leak.
const SECRET = "Zq7-cli-inproc-s3cr3t-2c4e91aa"
const BIG_ROOM = "9007199254740993" // 2^53 + 1: a double would round it to ...992
const MAX_UID = "9223372036854775807" // 2^63 - 1

let scope: Scope.Closeable
let address: string
let port: number
let env: Record<string, string>
let tmp: string

const runCli = cliInProcess
const ok = (r: Run) => {
  expect(r.stderr, `${r.args.join(" ")}: stderr`).toBe("")
  expect(r.code, `${r.args.join(" ")}: exit code`).toBe(0)
  return r.stdout
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "rtm-voice-cli-inproc-"))
  scope = Effect.runSync(Scope.make())
  const emulator = await Effect.runPromise(
    Scope.provide(makeEmulator({ pid: Number(PID), secret: Redacted.make(SECRET) }), scope)
  )
  address = emulator.address
  port = Number(address.split(":")[1])
  env = { RTM_ENDPOINT: address, RTM_PID: PID, RTM_SECRET: SECRET }
})

afterAll(async () => {
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true })
})

describe("rtm-voice (in process)", () => {
  it("--help on the root and on commands: exit 0, the commands, the usage and the flags", async () => {
    // (The executable answers the plain requests from help.json, which cli.e2e.test.ts
    // checks is exactly this rendering.)
    const runs = await Promise.all([
      runCli(["--help"], { env }),
      runCli(["invite", "--help"], { env }),
      runCli(["count", "--secret", SECRET, "--help"]),
      ...["emulator", "demo", "keygen"].map((name) => runCli([name, "--help"], { env }))
    ])
    for (const r of runs) expect(ok(r), r.args.join(" ")).toMatch(/USAGE/)
    const [root, invite, count, emulatorHelp] = runs
    for (const name of [...COMMANDS, "emulator", "demo", "keygen"]) {
      expect(root!.stdout).toMatch(new RegExp(`^  ${name} `, "m"))
    }
    expect(invite!.stdout).toContain(`Usage: rtm-voice ${USAGES.invite}.`)
    expect(count!.stdout).toContain(`Usage: rtm-voice ${USAGES.count}.`)
    for (const flag of ["--endpoint", "--pid", "--secret", "--timeout", "--dialect", "--server-key", "--json"]) {
      expect(invite!.stdout).toContain(flag)
    }
    for (const flag of ["--host", "--port", "--pid", "--secret", "--key"]) expect(emulatorHelp!.stdout).toContain(flag)
  })

  it("runs every operation; --json prints one object with exact int64 ids; settings from env or flags", async () => {
    const run = (...args: Array<string>) => runCli(args, { env })
    const flags = ["--endpoint", address, "--pid", PID, "--secret", SECRET]
    expect(ok(await run("rooms", "--json"))).toBe(`{"rids":[]}\n`)
    expect(ok(await run("pull", "--json", BIG_ROOM, MAX_UID, "1001"))).toBe(`{"ok":true}\n`)
    // Raw text: JSON.parse would round these, so the digits are checked as printed.
    const [rooms, members, count, human] = await Promise.all([
      run("rooms", "--json"),
      run("members", "--json", BIG_ROOM),
      run("count", "--json", BIG_ROOM),
      run("count", "--dialect", "rtc", BIG_ROOM)
    ])
    expect(ok(rooms)).toBe(`{"rids":[${BIG_ROOM}]}\n`)
    expect(ok(members)).toBe(`{"uids":[${MAX_UID},1001],"managers":[]}\n`)
    expect(ok(count)).toBe(`{"count":2}\n`)
    expect(ok(human)).toBe(`room ${BIG_ROOM}: 2 members\n`)
    const writes = await Promise.all([
      run("invite", "--from", "1001", "--json", BIG_ROOM, "2001", "2002"),
      run("admin", "--json", BIG_ROOM, "grantAdministrator", "1001"),
      run("mic", "--json", BIG_ROOM, "off"),
      // settings from flags only (no env)
      runCli(["pull", ...flags, "--json", "77", "5"])
    ])
    for (const w of writes) expect(ok(w)).toBe(`{"ok":true}\n`)
    // rtc dialect: members also reports the owner (exact too).
    const [voice, rtcFlag] = await Promise.all([
      run("members", "--json", BIG_ROOM),
      run("members", "--dialect", "rtc", "--json", BIG_ROOM)
    ])
    expect(ok(voice)).toBe(`{"uids":[${MAX_UID},1001],"managers":[1001]}\n`)
    expect(ok(rtcFlag)).toBe(`{"uids":[${MAX_UID},1001],"managers":[1001],"owner":${MAX_UID}}\n`)
    expect(ok(await run("kick", "--from", "1001", "--json", BIG_ROOM, MAX_UID))).toBe(`{"ok":true}\n`)
    const after = await Promise.all([
      run("count", "--json", BIG_ROOM),
      run("members", BIG_ROOM),
      run("mic", BIG_ROOM, "on"),
      // the dialect from the env
      runCli(["members", "--json", BIG_ROOM], { env: { ...env, RTM_DIALECT: "rtc" } })
    ])
    expect(after.map(ok)).toEqual([
      `{"count":1}\n`,
      `room ${BIG_ROOM}: 1 member: 1001\nmanagers: 1001\n`,
      `room ${BIG_ROOM}: microphones default to on\n`,
      expect.stringMatching(/^\{"uids":\[1001\],"managers":\[1001\],"owner":\d+\}\n$/)
    ])
    const more = await Promise.all([
      // a flag beats the env (a wrong pid in the env, the right one on the command line)
      runCli(["count", "--pid", PID, "--json", "77"], { env: { ...env, RTM_PID: "999" } }),
      // boolean literals right after --json are ids, not the flag's value (rooms 1 and 0)
      run("count", "--dialect", "rtc", "--json", "1")
    ])
    expect(more.map(ok)).toEqual([`{"count":1}\n`, `{"count":0}\n`])
    expect(ok(await run("count", "--json", "0"))).toBe(`{"count":0}\n`)
    const closed = await Promise.all([
      run("close", "--json", BIG_ROOM),
      runCli(["close", ...flags, "--dialect", "rtc", "77"])
    ])
    expect(closed.map(ok)).toEqual([`{"ok":true}\n`, `closed room 77\n`])
    const [json, text] = await Promise.all([run("rooms", "--json"), run("rooms", "--dialect", "rtc")])
    expect(ok(json)).toBe(`{"rids":[]}\n`)
    expect(ok(text)).toBe(`0 open rooms: (none)\n`)
  })

  it("exit 1 when the service or the connection fails; stderr names the tag, the code and the message", async () => {
    const refused = `127.0.0.1:${await closedPort()}`
    const [notInRoom, badSecret, badPid, noServer] = await Promise.all([
      runCli(["invite", "--from", "5000", "--json", "42", "1"], { env }),
      runCli(["count", "42"], { env: { ...env, RTM_SECRET: "not-the-secret" } }),
      runCli(["rooms"], { env: { ...env, RTM_PID: "12345" } }),
      runCli(["rooms", "--json"], { env: { ...env, RTM_ENDPOINT: refused } })
    ])
    // the port is taken (by the shared emulator): the system error is named
    const taken = await runCli(["emulator", "--port", String(port), "--pid", PID, "--secret", SECRET])
    expect(taken.code).toBe(1)
    expect(taken.stderr).toMatch(/^error: SocketServerError( \(\w+\))?: .*EADDRINUSE/m)
    for (const r of [notInRoom, badSecret, badPid, noServer]) {
      expect(r.code, r.args.join(" ")).toBe(1)
      expect(r.stdout, r.args.join(" ")).toBe("")
    }
    expect(JSON.parse(notInRoom.stderr)).toMatchObject({
      error: { tag: "RtmError", reason: "NotInRoom", code: 200040 }
    })
    expect(badSecret.stderr).toMatch(/^error: RtmError \(InvalidSignature\) code 200002: .+/m)
    expect(badPid.stderr).toMatch(/^error: RtmError \(InvalidSignature\) code 200002: .+/m)
    expect(JSON.parse(noServer.stderr).error).toMatchObject({ tag: "FpnnConnectionError", reason: "Refused" })
    expect(JSON.parse(noServer.stderr).error.message).toContain(refused)
  })

  it("exit 2 for bad usage or invalid input, before connecting", async () => {
    const listener = await recordingListener()
    try {
      const e = { RTM_ENDPOINT: listener.address, RTM_PID: PID, RTM_SECRET: SECRET }
      // (More parse errors are checked by run.test.ts and commands.test.ts.)
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
        [["count", "abc"], /VoiceRoomValidationError: .*roomId must be an integer/],
        [
          ["members", "--json", "9223372036854775808"],
          /VoiceRoomValidationError: .*roomId must fit in a signed 64-bit/
        ],
        [["count", "--", "-9223372036854775809"], /VoiceRoomValidationError: .*roomId must fit in a signed 64-bit/],
        [["pull", "42", "1", "x"], /VoiceRoomValidationError: .*uids\[1\] must be an integer/],
        [["pull", "42"], /VoiceRoomValidationError: .*uids must contain at least one id/],
        [["invite", "42", "10"], /VoiceRoomValidationError: .*--from <fromUid> is required/],
        [["kick", "--from", "1", "42"], /Missing required argument: uid/],
        [["mic", "42", "maybe"], /CliUsageError \(InvalidArgument\): Invalid value for argument <status>: "maybe"/],
        [["admin", "42", "promote", "1"], /Invalid value for argument <command>: "promote"/],
        [["count", "--pid", "abc", "1"], /--pid must be a positive integer/],
        [["count", "--timeout", "0", "1"], /CliUsageError \(InvalidSetting\): --timeout must be a positive/],
        [["count", "--endpoint", "nowhere", "1"], /--endpoint must be host:port/],
        [["emulator", "--port", "99999"], /--port must be an integer from 0 to 65535/],
        [["frobnicate"], /Unknown subcommand "frobnicate"/],
        [["count", "--bogus", "1"], /Unrecognized flag: --bogus/],
        // the secret before the command name would be echoed back as an unknown command
        [["--secret", SECRET, "count", "1"], /--secret goes after the command name/]
      ]
      const results = await Promise.all(cases.map(([args]) => runCli(args, { env: e })))
      // One line and a hint on stderr, no help text, nothing on stdout, no stack trace.
      results.forEach((r, i) => {
        expect(r.code, `${r.args.join(" ")}: ${r.stderr}`).toBe(2)
        expect(r.stdout, r.args.join(" ")).toBe("")
        const lines = r.stderr.trimEnd().split("\n")
        if (r.args.includes("--json")) {
          // under --json: one JSON object, the hint inside
          expect(lines, r.args.join(" ")).toHaveLength(1)
          const { error } = JSON.parse(lines[0]!) as { error: { tag: string; message: string; hint: string } }
          expect(`${error.tag}: ${error.message}`, r.args.join(" ")).toMatch(cases[i]![1])
          expect(error.hint).toMatch(/^rtm-voice .*--help$/)
          return
        }
        expect(lines, r.args.join(" ")).toHaveLength(2)
        expect(lines[0], r.args.join(" ")).toMatch(cases[i]![1])
        expect(lines[1], r.args.join(" ")).toMatch(/^hint: see `rtm-voice .*--help`$/)
      })
      // Missing settings are usage errors too (no env at all), all named at once.
      const noSettings = await runCli(["rooms"])
      expect(noSettings.code).toBe(2)
      expect(noSettings.stderr).toMatch(
        /missing --endpoint \(or RTM_ENDPOINT\), --pid \(or RTM_PID\), --secret \(or RTM_SECRET\)/
      )
      // Under --json, one JSON object on stderr.
      const json = await runCli(["count", "--json", "1"], { env: { ...e, RTM_PID: "config" } })
      expect(json.code).toBe(2)
      expect(JSON.parse(json.stderr)).toMatchObject({ error: { tag: "CliUsageError", reason: "InvalidSetting" } })
      expect(JSON.parse(json.stderr).error.message).toMatch(/^RTM_PID must be a positive integer/)
      expect(listener.connections()).toBe(0)
      // Control: a valid command does reach the listener (which never answers: exit 1).
      const control = await runCli(["count", "--timeout", "300", "1"], { env: e })
      expect(control.code).toBe(1)
      expect(control.stderr).toMatch(/^error: \w+/m)
      expect(listener.connections()).toBeGreaterThan(0)
    } finally {
      await listener.close()
    }
  })

  it("keygen writes a pair and refuses to overwrite it without --force", async () => {
    const good = await runCli(["keygen", "--out", join(tmp, "keys")])
    expect(ok(good)).toContain("server-private.pem")
    const again = await runCli(["keygen", "--out", join(tmp, "keys")])
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/^error: CliUsageError \(FileExists\): .*already exist; pass --force/)
  })

  it("demo runs every operation against an embedded emulator, narrated, and exits 0", async () => {
    const r = await runCli(["demo"])
    expect(ok(r)).toMatch(/listening on 127\.0\.0\.1:\d+/)
    for (
      const op of [
        "getVoiceRoomList",
        "getVoiceRoomMembers",
        "getVoiceRoomMemberCount",
        "pullUserIntoVoiceRoom",
        "inviteUserIntoVoiceRoom",
        "kickoutFromVoiceRoom",
        "closeVoiceRoom",
        "setVoiceRoomMicStatus",
        "adminCommand"
      ]
    ) {
      expect(r.stdout).toContain(`${op}(`)
    }
    expect(r.stdout).toContain("getRTCRoomMembers") // an rtc-dialect step
    expect(r.stdout).toContain(BIG_ROOM)
    expect(r.stdout).toMatch(/All 9 operations ran/)
    // the demo's embedded emulator is closed with the command
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(r.stdout)![1])
    expect(await canConnect(port)).toBe(false)
  })

  it("the secret never appears in any output (stdout and stderr of every run above)", () => {
    const mine = captured.filter((c) => c.what.endsWith("(in process)"))
    expect(mine.length).toBeGreaterThan(50)
    const leaks = mine.filter((c) => c.text().includes(SECRET)).map((c) => c.what.replaceAll(SECRET, "<secret>"))
    expect(leaks).toEqual([])
  })
})
