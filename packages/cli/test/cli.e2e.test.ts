/**
 * The `rtm-voice` executable as real processes (`node packages/cli/dist/main.cjs`) against an
 * `rtm-voice emulator` process on a real TCP port: what needs a process. Help answered from
 * help.json (and identical to the live rendering); settings from the process environment;
 * stdout and stderr as printed; the exit codes 0, 1 and 2 (and 2 before connecting); the
 * `keygen` files serving an `emulator --key` process; SIGINT/SIGTERM stopping the emulator;
 * the secret in no output. Every command's arguments, settings, output and errors are
 * checked in process by cli.inprocess.test.ts, run.test.ts and commands.test.ts.
 */
import {
  canConnect,
  captured,
  cliMain,
  closedPort,
  type EmulatorProcess,
  ensureBuilt,
  recordingListener,
  runCli,
  type RunResult,
  startEmulator
} from "@rtm-voice/test-support"
import { Effect } from "effect"
import { TerminalCapabilities } from "effect/cli"
import { TestConsole } from "effect/testing"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { run } from "../src/Bin.js"
import { commandNames } from "../src/Commands.js"
import { cliServices } from "../src/Services.js"
import { cliInProcess } from "./inProcess.js"

const PID = "41000017"
// Distinctive, so that a grep over every captured output can only match a leak.
const SECRET = "Zq7-cli-e2e-s3cr3t-9f81bd0c"
const BIG_ROOM = "9007199254740993" // 2^53 + 1: a double would round it to ...992
const MAX_UID = "9223372036854775807" // 2^63 - 1

let emulator: EmulatorProcess
let env: Record<string, string>
let tmp: string

const ok = (r: RunResult) => {
  expect(r.stderr, `${r.args.join(" ")}: stderr`).toBe("")
  expect(r.code, `${r.args.join(" ")}: exit code`).toBe(0)
  return r.stdout
}

beforeAll(async () => {
  await ensureBuilt()
  tmp = mkdtempSync(join(tmpdir(), "rtm-voice-cli-e2e-"))
  emulator = await startEmulator(["--host", "127.0.0.1", "--port", "0", "--pid", PID, "--secret", SECRET])
  env = { RTM_ENDPOINT: emulator.address, RTM_PID: PID, RTM_SECRET: SECRET }
}, 120_000)

afterAll(async () => {
  await emulator?.stop()
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true })
})

describe("rtm-voice (processes)", () => {
  it("--help is answered from help.json, which is exactly what the CLI renders, plain and coloured", async () => {
    const help = JSON.parse(readFileSync(join(dirname(cliMain), "help.json"), "utf8")) as Record<string, string>
    const keys = ["", ...commandNames.map(([name]) => name), "emulator", "demo", "keygen"]
    expect(Object.keys(help).sort()).toEqual(keys.flatMap((k) => [`plain:${k}`, `color:${k}`]).sort())
    for (const key of keys) {
      for (const color of [false, true]) {
        const live = await Effect.runPromise(
          Effect.gen(function*() {
            expect(yield* run(key === "" ? ["--help"] : [key, "--help"])).toBe(0)
            return (yield* TestConsole.logLines).map((l) => `${Array.isArray(l) ? l.join(" ") : String(l)}\n`).join("")
          }).pipe(
            Effect.provideService(TerminalCapabilities.TerminalCapabilities, {
              canColor: color,
              canAnimate: false,
              canPrompt: false
            }),
            Effect.provide([cliServices, TestConsole.layer])
          )
        )
        expect(help[`${color ? "color" : "plain"}:${key}`], `${key} --help, color ${color}`).toBe(live)
      }
    }
    // The process answers from it; rendered live (RTM_VOICE_LIVE_HELP) it prints the same.
    const [cached, live, root, rootLive] = await Promise.all([
      runCli(["mic", "--help"]),
      runCli(["mic", "--help"], { env: { RTM_VOICE_LIVE_HELP: "1" } }),
      runCli(["-h"]),
      runCli(["-h"], { env: { RTM_VOICE_LIVE_HELP: "1" } })
    ])
    expect(ok(cached)).toBe(help["plain:mic"])
    expect(ok(live)).toBe(help["plain:mic"])
    expect(ok(root)).toBe(help["plain:"])
    expect(ok(rootLive)).toBe(help["plain:"])
  }, 60_000)

  // Processes that run concurrently here call different wire methods (the rtc dialect
  // renames them): two processes signing the same method in the same millisecond get
  // the same salt (Date.now() * 1000) and the same sign, which the gateway rejects as a
  // replay (RTM 200006).
  it("settings from the environment or flags; --json on stdout with exact int64 ids; exit 0", async () => {
    const flags = ["--endpoint", emulator.address, "--pid", PID, "--secret", SECRET]
    expect(ok(await runCli(["pull", "--json", BIG_ROOM, MAX_UID, "1001"], { env }))).toBe(`{"ok":true}\n`)
    const [members, rtc, human] = await Promise.all([
      runCli(["members", ...flags, "--json", BIG_ROOM]), // flags only, no environment
      runCli(["members", "--json", BIG_ROOM], { env: { ...env, RTM_DIALECT: "rtc" } }),
      runCli(["count", BIG_ROOM], { env })
    ])
    expect(ok(members)).toBe(`{"uids":[${MAX_UID},1001],"managers":[]}\n`)
    expect(ok(rtc)).toBe(`{"uids":[${MAX_UID},1001],"managers":[],"owner":${MAX_UID}}\n`)
    expect(ok(human)).toBe(`room ${BIG_ROOM}: 2 members\n`)
  }, 60_000)

  it("exit 1 for the service or the connection, exit 2 before connecting: stderr only", async () => {
    const listener = await recordingListener()
    try {
      const refused = `127.0.0.1:${await closedPort()}`
      const e = { RTM_ENDPOINT: listener.address, RTM_PID: PID, RTM_SECRET: SECRET }
      const [badSecret, noServer, invalid, json, misplaced, noSettings] = await Promise.all([
        runCli(["count", "42"], { env: { ...env, RTM_SECRET: "not-the-secret" } }),
        runCli(["rooms", "--json"], { env: { ...env, RTM_ENDPOINT: refused } }),
        runCli(["count", "abc"], { env: e }),
        runCli(["members", "--json", "9223372036854775808"], { env: e }),
        runCli(["--secret", SECRET, "count", "1"], { env: e }),
        runCli(["rooms"])
      ])
      for (const r of [badSecret, noServer, invalid, json, misplaced, noSettings]) {
        expect(r.stdout, r.args.join(" ")).toBe("")
      }
      expect(badSecret.code).toBe(1)
      expect(badSecret.stderr).toMatch(/^error: RtmError \(InvalidSignature\) code 200002: .+\n$/)
      expect(noServer.code).toBe(1)
      expect(JSON.parse(noServer.stderr).error).toMatchObject({ tag: "FpnnConnectionError", reason: "Refused" })
      expect(noServer.stderr.trimEnd().split("\n")).toHaveLength(1)
      expect([invalid.code, json.code, misplaced.code, noSettings.code]).toEqual([2, 2, 2, 2])
      expect(invalid.stderr).toMatch(/^error: VoiceRoomValidationError: .*roomId must be an integer.*\n/)
      expect(invalid.stderr).toMatch(/\nhint: see `rtm-voice count --help`\n$/)
      expect(JSON.parse(json.stderr).error)
        .toMatchObject({ tag: "VoiceRoomValidationError", hint: "rtm-voice members --help" })
      expect(misplaced.stderr).toMatch(/--secret goes after the command name/)
      expect(noSettings.stderr)
        .toMatch(/missing --endpoint \(or RTM_ENDPOINT\), --pid \(or RTM_PID\), --secret \(or RTM_SECRET\)/)
      expect(listener.connections()).toBe(0)
    } finally {
      await listener.close()
    }
  }, 60_000)

  it("keygen keys: an `emulator --key` process serves clients with the public key; a wrong key is exit 1", async () => {
    const [good, other] = await Promise.all([
      runCli(["keygen", "--out", join(tmp, "keys")]),
      cliInProcess(["keygen", "--out", join(tmp, "other")])
    ])
    expect(ok(good)).toContain("server-private.pem")
    ok(other)
    const key = join(tmp, "keys/server-private.pem")
    const secure = await startEmulator(["--port", "0", "--pid", PID, "--secret", SECRET, "--key", key])
    try {
      const e = { RTM_ENDPOINT: secure.address, RTM_PID: PID, RTM_SECRET: SECRET }
      const [byFlag, byEnv, wrong] = await Promise.all([
        runCli(["pull", "--server-key", join(tmp, "keys/server-public.pem"), "--json", BIG_ROOM, MAX_UID], { env: e }),
        cliInProcess(["rooms", "--json"], { env: { ...e, RTM_SERVER_KEY: join(tmp, "keys/server-public.pem") } }),
        cliInProcess(["rooms", "--json", "--server-key", join(tmp, "other/server-public.pem")], { env: e })
      ])
      expect(ok(byFlag)).toBe(`{"ok":true}\n`)
      expect([`{"rids":[]}\n`, `{"rids":[${BIG_ROOM}]}\n`]).toContain(byEnv.stdout)
      expect(byEnv.code).toBe(0)
      const publicKey = join(tmp, "keys/server-public.pem")
      const members = await cliInProcess(["members", "--server-key", publicKey, "--json", BIG_ROOM], { env: e })
      expect([members.code, members.stdout]).toEqual([0, `{"uids":[${MAX_UID}],"managers":[]}\n`])
      expect(wrong.code).toBe(1)
      expect(wrong.stdout).toBe("")
      expect(JSON.parse(wrong.stderr)).toMatchObject({
        error: { tag: "FpnnConnectionError", reason: expect.any(String) }
      })
    } finally {
      expect(await secure.stop()).toBe(0)
    }
  }, 60_000)

  it("the emulator stops cleanly on SIGINT and on SIGTERM: exit 0, port closed", async () => {
    await Promise.all((["SIGINT", "SIGTERM"] as const).map(async (signal) => {
      const emu = await startEmulator(["--host", "127.0.0.1", "--port", "0", "--pid", PID, "--secret", SECRET])
      expect(emu.stdout()).toBe(`listening on ${emu.address}\n`)
      expect(await canConnect(emu.port)).toBe(true)
      const count = await cliInProcess(["count", "--endpoint", emu.address, "--json", "5"], { env })
      expect([count.code, count.stdout]).toEqual([0, `{"count":0}\n`])
      emu.child.kill(signal)
      expect(await emu.exited, signal).toBe(0)
      expect(emu.stderr(), signal).toBe("")
      expect(await canConnect(emu.port), signal).toBe(false)
    }))
  }, 30_000)

  it("the secret never appears in any output (stdout and stderr of every process above)", () => {
    expect(captured.filter((c) => !c.what.endsWith("(in process)")).length).toBeGreaterThan(15)
    const leaks = captured.filter((c) => c.text().includes(SECRET)).map((c) => c.what.replaceAll(SECRET, "<secret>"))
    expect(leaks).toEqual([])
  })
})
