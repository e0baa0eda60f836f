/**
 * The test kit from the command line: an `rtm-voice emulator` process with a fault plan
 * file (`--faults`) and compact faults (`--fault`) serving the CLI's commands; bad plans
 * refused before listening; and pull's RTC-era flags (`--type`, `--voice-range`,
 * `--max-receive-streams`) against an in-process emulator whose state the test reads. Only
 * the emulator under test is a process: the commands run in process (inProcess.ts).
 */
import { ensureBuilt, startEmulator } from "@rtm-voice/test-support"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Exit, Redacted, Scope } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cliInProcess as runCli } from "./inProcess.js"

const PID = "41000018"
const SECRET = "cli-faults-e2e-secret"
let tmp: string

beforeAll(async () => {
  await ensureBuilt()
  tmp = mkdtempSync(join(tmpdir(), "rtm-voice-faults-e2e-"))
}, 120_000)

afterAll(() => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true })
})

describe("rtm-voice emulator --faults / --fault", () => {
  it("injects the plan's and the flag's faults; an applied-but-unanswered pull shows up in members", async () => {
    const plan = join(tmp, "plan.json")
    const faults = [{ kind: "error", code: 200010, method: "getVoiceRoomMemberCount" }]
    writeFileSync(plan, JSON.stringify({ seed: 5, faults }))
    const emulator = await startEmulator([
      "--pid",
      PID,
      "--secret",
      SECRET,
      "--faults",
      plan,
      "--fault",
      "pullUserIntoVoiceRoom:closeAfterApply@1"
    ])
    try {
      const env = { RTM_ENDPOINT: emulator.address, RTM_PID: PID, RTM_SECRET: SECRET }
      const count = await runCli(["count", "1"], { env })
      expect(count.code).toBe(1)
      expect(count.stderr).toContain("200010")
      expect(count.stderr).toContain("FrequencyLimited")

      const pull = await runCli(["pull", "5", "1001", "1002"], { env })
      expect(pull.code).toBe(1)
      expect(pull.stderr).toContain("FpnnConnectionError")
      const members = await runCli(["members", "--json", "5"], { env })
      expect(members.code, members.stderr).toBe(0)
      expect(JSON.parse(members.stdout).uids).toEqual([1001, 1002]) // applied, though never answered

      const again = await runCli(["pull", "5", "1003"], { env }) // @1: exhausted
      expect(again.code, again.stderr).toBe(0)
    } finally {
      await emulator.stop()
    }
  })

  it("a bad plan or compact fault is exit 2 with the reason, before listening", async () => {
    const bad = join(tmp, "bad.json")
    writeFileSync(bad, JSON.stringify({ faults: [{ kind: "latency" }] }))
    const plan = await runCli(["emulator", "--pid", PID, "--secret", SECRET, "--faults", bad])
    expect(plan.code).toBe(2)
    expect(plan.stderr).toContain("latency")
    expect(plan.stdout).not.toContain("listening")
    const missing = await runCli(["emulator", "--pid", PID, "--secret", SECRET, "--faults", join(tmp, "none.json")])
    expect(missing.code).toBe(2)
    const compact = await runCli(["emulator", "--pid", PID, "--secret", SECRET, "--fault", "error=x"])
    expect(compact.code).toBe(2)
    expect(compact.stderr).toContain("error=x")
    const help = await runCli(["emulator", "--help"])
    expect(help.code).toBe(0)
    for (const flag of ["--faults", "--fault"]) expect(help.stdout).toContain(flag)
  })
})

describe("rtm-voice pull: RTC-era flags", () => {
  it("--type, --voice-range, --max-receive-streams reach the emulator; validated; rtc only", async () => {
    const scope = Effect.runSync(Scope.make())
    const emulator = await Effect.runPromise(
      Scope.provide(makeEmulator({ pid: Number(PID), secret: Redacted.make(SECRET) }), scope)
    )
    try {
      const env = { RTM_ENDPOINT: emulator.address, RTM_PID: PID, RTM_SECRET: SECRET }
      const help = await runCli(["pull", "--help"], { env })
      for (const flag of ["--type", "--voice-range", "--max-receive-streams"]) expect(help.stdout).toContain(flag)

      const pull = await runCli(
        ["pull", "--dialect", "rtc", "--type", "video", "--voice-range", "30", "--max-receive-streams", "4", "9", "1"],
        { env }
      )
      expect(pull.code, pull.stderr).toBe(0)
      const defaults = await runCli(["pull", "--dialect", "rtc", "10", "1"], { env })
      expect(defaults.code, defaults.stderr).toBe(0)
      const room = (id: bigint) => Effect.runPromise(emulator.room(id))
      expect((await room(9n))?.rtc).toEqual({ type: 2, voiceRange: 30, maxReceiveStreams: 4 })
      expect((await room(10n))?.rtc).toEqual({ type: 1, voiceRange: 0, maxReceiveStreams: 0 })

      const quests = async () => (await Effect.runPromise(emulator.state)).quests.get("pullIntoRTCRoom")
      const before = await quests()
      for (
        const args of [
          ["pull", "--dialect", "rtc", "--voice-range", "2147483648", "9", "1"],
          ["pull", "--dialect", "rtc", "--voice-range", "wide", "9", "1"],
          ["pull", "--dialect", "rtc", "--type", "audio", "9", "1"],
          ["pull", "--type", "video", "9", "1"] // voice dialect: not sent there
        ]
      ) {
        const r = await runCli(args, { env })
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2)
      }
      expect(await quests()).toBe(before)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })
})
