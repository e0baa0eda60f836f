/**
 * The one-shot operation call (OneShot.ts reads the command line, Call.ts runs it) against
 * effect's CLI (Bin.run): every command line the one-shot reading accepts prints the same
 * stdout and stderr and exits with the same code through either path, against a real
 * emulator and a closed port; every line it declines (help, version, short flags, `--`,
 * repeated or unknown flags, literals effect rejects...) is left to effect's CLI. Then the
 * built executable: commands.json is the live table, and the call script's code cache is
 * written, reused, and rewritten when it is damaged, with the same output each time.
 */
import { assert, describe, it } from "@effect/vitest"
import { cliMain, closedPort, ensureBuilt, freePort, runCli } from "@rtm-voice/test-support"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { ConfigProvider, Effect, Redacted } from "effect"
import { TestConsole } from "effect/testing"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { run } from "../src/Bin.js"
import { callProgram } from "../src/Call.js"
import { oneShotTable } from "../src/Commands.js"
import { parseOneShot } from "../src/OneShot.js"
import { cliServices } from "../src/Services.js"

const SECRET = "oneshot-test-s3cr3t-7be2"
const env = (endpoint: string) => ({ RTM_ENDPOINT: endpoint, RTM_PID: "7", RTM_SECRET: SECRET })

interface Outcome {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const captured = <R>(program: Effect.Effect<number, never, R>, environment: Record<string, string>) =>
  Effect.gen(function*() {
    const code = yield* program.pipe(
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: environment }))
    )
    const lines = (xs: ReadonlyArray<unknown>) => xs.map((x) => (Array.isArray(x) ? x.join(" ") : String(x))).join("\n")
    return { code, stdout: lines(yield* TestConsole.logLines), stderr: lines(yield* TestConsole.errorLines) } as Outcome
  }).pipe(Effect.provide(TestConsole.layer))

/** Through effect's CLI. */
const viaCli = (argv: ReadonlyArray<string>, environment: Record<string, string>) =>
  captured(run(argv), environment).pipe(Effect.provide(cliServices))

/** Through the one-shot path; the line must be one it accepts. */
const viaOneShot = (argv: ReadonlyArray<string>, environment: Record<string, string>) =>
  Effect.suspend(() => {
    const call = parseOneShot(oneShotTable(), argv)
    assert.isDefined(call, `one-shot declined: ${argv.join(" ")}`)
    return captured(callProgram(call!, argv), environment)
  })

/** Calls in order, each state-changing call once per emulator, so both paths see the same rooms. */
const ACCEPTED: ReadonlyArray<ReadonlyArray<string>> = [
  ["rooms"],
  ["pull", "42", "10", "11"],
  ["pull", "--json", "--type", "video", "--voice-range=3", "42", "12"],
  ["pull", "42", "--max-receive-streams", "2", "13", "9007199254740993"],
  ["rooms", "--json"],
  ["count", "42"],
  ["count", "--json", "42"],
  ["count", "42", "--json"],
  ["count", "--json=false", "42"],
  ["count", "--json=yes", "42"],
  ["members", "--json", "42"],
  ["members", "42"],
  ["invite", "--from", "10", "42", "14"],
  ["invite", "42", "--from=10", "15", "16"],
  ["invite", "--from", "999", "42", "17"],
  ["kick", "--from", "10", "42", "11"],
  ["mic", "42", "off"],
  ["mic", "--json", "42", "on"],
  ["admin", "42", "forbidAudio", "10", "12"],
  ["count", "--dialect", "rtc", "42"],
  ["count", "--dialect=voice", "--timeout", "3000", "42"],
  // usage errors the handler finds (exit 2), the same through both paths
  ["count", "abc"],
  ["count", "-5"],
  ["count", "--json", "1.5"],
  ["count", "--pid", "abc", "1"],
  ["count", "--pid=", "--timeout", "0", "1"],
  ["pull", "--type", "tv", "1", "2"],
  ["pull", "--voice-range", "x", "1", "2"],
  ["pull", "1", "99999999999999999999"],
  ["count", "--endpoint", "nowhere", "1"],
  ["count", "--server-key", "/nonexistent/rtm-voice.key", "1"],
  ["count", "--secret", "", "--json", "1"],
  ["close", "42"],
  ["count", "42"]
]

/** Lines the one-shot reading leaves to effect's CLI. */
const DECLINED: ReadonlyArray<ReadonlyArray<string>> = [
  [],
  ["--json", "count", "1"],
  ["--secret", SECRET, "count", "1"],
  ["emulator"],
  ["nope", "1"],
  ["count"],
  ["count", "1", "2"],
  ["rooms", "1"],
  ["count", "--help", "1"],
  ["count", "1", "-h"],
  ["count", "--version"],
  ["count", "-j", "1"],
  ["count", "--", "1"],
  ["count", "--no-json", "1"],
  ["count", "--json", "--json", "1"],
  ["count", "--pid", "1", "--pid", "2", "1"],
  ["count", "1", "--pid"],
  ["count", "--pid", "--json", "1"],
  ["count", "--endpoint", "-x", "1"],
  ["count", "--bogus", "1"],
  ["count", "--=1", "1"],
  ["count", "--dialect", "grpc", "1"],
  ["count", "--json=maybe", "1"],
  ["count", "--from", "1", "1"],
  ["pull", "1"],
  ["pull", "--voice-range", "1", "2"],
  ["mic", "1", "true"],
  ["admin", "1", "nope", "2"],
  ["invite", "--from", "1", "2"]
]

describe("the one-shot reading of an operation command line", () => {
  it("declines every line it does not read exactly as effect's CLI does", () => {
    const table = oneShotTable()
    for (const argv of DECLINED) assert.isUndefined(parseOneShot(table, argv), argv.join(" "))
  })

  it("reads flags and positionals in any order, and `--flag=value`", () => {
    const call = parseOneShot(oneShotTable(), ["invite", "42", "--json", "--from=10", "7", "--pid", "-3", "8"])
    assert.deepStrictEqual(call && { ...call, flags: Object.fromEntries(call.flags) }, {
      command: "invite",
      flags: { json: "true", from: "10", pid: "-3" },
      json: true,
      positionals: ["42", ["7", "8"]]
    })
  })

  it.live("prints and exits as effect's CLI does for every line it accepts (emulator, closed port)", () =>
    Effect.gen(function*() {
      const [a, b] = [
        yield* makeEmulator({ pid: 7, secret: Redacted.make(SECRET) }),
        yield* makeEmulator({ pid: 7, secret: Redacted.make(SECRET) })
      ]
      const codes = new Set<number>()
      for (const argv of ACCEPTED) {
        const cli = yield* viaCli(argv, env(a.address))
        const oneShot = yield* viaOneShot(argv, env(b.address))
        assert.deepStrictEqual(
          { ...oneShot, stderr: oneShot.stderr.replaceAll(b.address, "ADDRESS") },
          { ...cli, stderr: cli.stderr.replaceAll(a.address, "ADDRESS") },
          argv.join(" ")
        )
        codes.add(cli.code)
      }
      const port = yield* freePort
      for (const argv of [["count", "1"], ["rooms", "--json"], ["close", "--secret", SECRET, "1"]]) {
        const cli = yield* viaCli(argv, env(`127.0.0.1:${port}`))
        assert.strictEqual(cli.code, 1)
        assert.deepStrictEqual(yield* viaOneShot(argv, env(`127.0.0.1:${port}`)), cli, argv.join(" "))
        assert.notInclude(cli.stderr, SECRET)
        codes.add(cli.code)
      }
      assert.deepStrictEqual([...codes].sort(), [0, 1, 2]) // successes, service and connection failures, usage errors
    }).pipe(Effect.scoped))
})

describe("the built executable's one-shot call", () => {
  it("commands.json is the live table, and names the call script", async () => {
    await ensureBuilt()
    const dist = dirname(cliMain)
    const built = JSON.parse(readFileSync(join(dist, "commands.json"), "utf8"))
    const { commands, adminCommands } = oneShotTable()
    assert.deepStrictEqual(
      { commands: built.commands, adminCommands: built.adminCommands },
      { commands, adminCommands }
    )
    assert.match(built.script, /^bin-call-[0-9a-f]{16}\.cjs$/)
    assert.include(built.script, built.key)
    assert.include(readdirSync(dist), built.script)
  }, 120_000)

  it("writes its code cache, reuses it, and rewrites a damaged one, with the same output", async () => {
    await ensureBuilt()
    const cacheRoot = mkdtempSync(join(tmpdir(), "rtm-voice-oneshot-cache-"))
    try {
      const port = await closedPort()
      const callEnv = { ...env(`127.0.0.1:${port}`), NODE_COMPILE_CACHE: cacheRoot }
      const expected = `error: FpnnConnectionError (Refused): connection to 127.0.0.1:${port} was refused: ` +
        "nothing listens there; check the host and port\n"
      const cacheFiles = () => readdirSync(join(cacheRoot, "rtm-voice")).filter((f) => f.endsWith(".v8"))
      const first = await runCli(["count", "1"], { env: callEnv })
      assert.deepStrictEqual([first.code, first.stdout, first.stderr], [1, "", expected])
      const [file] = cacheFiles()
      assert.isDefined(file)
      const written = readFileSync(join(cacheRoot, "rtm-voice", file!))
      assert.isAbove(written.length, 1000)
      const second = await runCli(["count", "1"], { env: callEnv })
      assert.deepStrictEqual([second.code, second.stdout, second.stderr], [1, "", expected])
      assert.isTrue(readFileSync(join(cacheRoot, "rtm-voice", file!)).equals(written)) // accepted, not rewritten
      writeFileSync(join(cacheRoot, "rtm-voice", file!), written.subarray(0, 64))
      const damaged = await runCli(["count", "1"], { env: callEnv })
      assert.deepStrictEqual([damaged.code, damaged.stdout, damaged.stderr], [1, "", expected])
      assert.isAbove(readFileSync(join(cacheRoot, "rtm-voice", file!)).length, 64)
      assert.deepStrictEqual(cacheFiles(), [file]) // no temporary file left behind
    } finally {
      rmSync(cacheRoot, { recursive: true, force: true })
    }
  }, 120_000)
})
