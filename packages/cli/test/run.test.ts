/**
 * The whole `rtm-voice` command line in process, through the CLI's own runner (Bin.run:
 * argv in, exit code out) with a captured console and a given environment: the usage
 * errors (one line and a hint on stderr, exit 2, no help text), `--json` errors (one JSON
 * object on stderr), settings that name the environment variable they came from, every
 * missing setting at once, literal choices, keygen's refusal to overwrite, bad key files,
 * a bad emulator port, and the secret never printed. Calls that reach the network use
 * real sockets on 127.0.0.1 (an in-process emulator, a closed port).
 */
import { assert, describe, it } from "@effect/vitest"
import { Encryption } from "@rtm-voice/fpnn-transport"
import { freePort } from "@rtm-voice/test-support"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { ConfigProvider, Effect, Redacted } from "effect"
import { TestConsole } from "effect/testing"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { exitCodeOf, run } from "../src/Bin.js"
import { CliUsageError } from "../src/Errors.js"
import { CURVES } from "../src/KeygenCommand.js"
import { cliServices } from "../src/Services.js"
import { VERSION } from "../src/version.js"

const SECRET = "run-test-s3cr3t-51d9ce"

interface Outcome {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const printed: Array<string> = []

/** Runs `rtm-voice ...argv` in process with exactly `env` as its environment. */
const cli = (argv: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const [outBefore, errBefore] = [(yield* TestConsole.logLines).length, (yield* TestConsole.errorLines).length]
    const code = yield* run(argv, { version: "test" }).pipe(
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))
    )
    const lines = (xs: ReadonlyArray<unknown>) => xs.map((x) => (Array.isArray(x) ? x.join(" ") : String(x))).join("\n")
    const outcome: Outcome = {
      code,
      stdout: lines((yield* TestConsole.logLines).slice(outBefore)),
      stderr: lines((yield* TestConsole.errorLines).slice(errBefore))
    }
    printed.push(outcome.stdout, outcome.stderr)
    return outcome
  }).pipe(Effect.provide([cliServices, TestConsole.layer]))

/** A usage error: exit 2, nothing on stdout, `error: …` and `hint: …` on stderr, no help text. */
const expectUsage = (o: Outcome, message: RegExp, hint = /^hint: see `rtm-voice .*--help`$/) => {
  assert.strictEqual(o.code, 2, o.stderr)
  assert.strictEqual(o.stdout, "")
  const lines = o.stderr.split("\n")
  assert.strictEqual(lines.length, 2, o.stderr)
  assert.match(lines[0]!, /^error: \w+/)
  assert.match(lines[0]!, message)
  assert.match(lines[1]!, hint)
  assert.notInclude(o.stderr, "USAGE")
}

const env = (endpoint: string) => ({ RTM_ENDPOINT: endpoint, RTM_PID: "7", RTM_SECRET: SECRET })

describe("usage errors", () => {
  it.effect("print one line and a hint on stderr, exit 2, and never the help", () =>
    Effect.gen(function*() {
      const e = env("127.0.0.1:1")
      expectUsage(
        yield* cli(["count"], e),
        /CliUsageError \(MissingArgument\): Missing required argument: roomId/,
        /count --help/
      )
      expectUsage(
        yield* cli(["frobnicate"], e),
        /\(UnknownCommand\): Unknown subcommand "frobnicate"/,
        /^hint: see `rtm-voice --help`$/
      )
      expectUsage(yield* cli(["count", "--bogus", "1"], e), /\(UnknownFlag\): Unrecognized flag: --bogus/)
      expectUsage(yield* cli(["count", "1", "2"], e), /\(UnexpectedArgument\)/)
      expectUsage(yield* cli(["kick", "--from", "1", "42"], e), /Missing required argument: uid/, /kick --help/)
      expectUsage(yield* cli([], e), /no command given; one of: rooms, .*keygen/, /^hint: see `rtm-voice --help`$/)
      // invalid arguments the SDK's validation rejects, before connecting
      expectUsage(yield* cli(["count", "abc"], e), /VoiceRoomValidationError: count: roomId must be an integer id/)
      expectUsage(yield* cli(["pull", "42"], e), /VoiceRoomValidationError: .*uids must contain at least one id/)
      expectUsage(yield* cli(["invite", "42", "10"], e), /--from <fromUid> is required/)
    }))

  it.effect("on|off and the admin commands are literal choices", () =>
    Effect.gen(function*() {
      const e = env("127.0.0.1:1")
      expectUsage(
        yield* cli(["mic", "42", "maybe"], e),
        /\(InvalidArgument\): Invalid value for argument <status>: "maybe"/
      )
      expectUsage(
        yield* cli(["admin", "42", "promote", "1"], e),
        /<command>: "promote". Expected: "grantAdministrator" \|/
      )
      const help = yield* cli(["admin", "--help"], e)
      assert.strictEqual(help.code, 0)
      assert.include(help.stdout, "one of grantAdministrator, revokeAdministrator")
      const bash = yield* cli(["--completions", "bash"], e)
      assert.strictEqual(bash.code, 0)
      assert.include(bash.stdout, "'grantAdministrator' 'revokeAdministrator'")
      const fish = yield* cli(["--completions", "fish"], e)
      assert.match(fish.stdout, /__fish_seen_subcommand_from mic' .*-a 'on off'/)
    }))

  it.effect("--help prints the help on stdout, exit 0; --version prints the package's version", () =>
    Effect.gen(function*() {
      const help = yield* cli(["count", "--help"])
      assert.deepStrictEqual([help.code, help.stderr], [0, ""])
      assert.include(help.stdout, "Usage: rtm-voice count <roomId>.")
      const version = yield* cli(["--version"])
      assert.deepStrictEqual([version.code, version.stdout], [0, "rtm-voice vtest"])
      const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
      assert.strictEqual(VERSION, pkg.version)
    }))

  it.effect("a secret before the command name is a usage error that does not echo it", () =>
    Effect.gen(function*() {
      const o = yield* cli(["--secret", SECRET, "count", "1"], env("127.0.0.1:1"))
      expectUsage(o, /\(MisplacedFlag\): --secret goes after the command name/)
      assert.notInclude(o.stderr, SECRET)
    }))
})

describe("--json errors", () => {
  it.effect("a usage error is one JSON object on stderr", () =>
    Effect.gen(function*() {
      const o = yield* cli(["count", "--json"], env("127.0.0.1:1"))
      assert.deepStrictEqual([o.code, o.stdout], [2, ""])
      assert.strictEqual(o.stderr.split("\n").length, 1)
      assert.deepStrictEqual(JSON.parse(o.stderr), {
        error: {
          tag: "CliUsageError",
          reason: "MissingArgument",
          message: "Missing required argument: roomId",
          sent: false,
          hint: "rtm-voice count --help"
        }
      })
      const invalid = JSON.parse((yield* cli(["count", "--json", "abc"], env("127.0.0.1:1"))).stderr)
      assert.strictEqual(invalid.error.tag, "VoiceRoomValidationError")
      assert.strictEqual(invalid.error.parameter, "roomId")
      const missing = JSON.parse((yield* cli(["rooms", "--json"])).stderr)
      assert.strictEqual(missing.error.reason, "MissingSetting")
    }))

  it.effect("a runtime error is one JSON object on stderr: tag, reason, message; exit 1", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const o = yield* cli(["rooms", "--json"], env(`127.0.0.1:${port}`))
      assert.deepStrictEqual([o.code, o.stdout], [1, ""])
      assert.strictEqual(o.stderr.split("\n").length, 1)
      const { error } = JSON.parse(o.stderr)
      assert.strictEqual(error.tag, "FpnnConnectionError")
      assert.strictEqual(error.reason, "Refused")
      assert.include(error.message, `127.0.0.1:${port}`)
      assert.notProperty(error, "hint")
      // --json=false: the readable line again
      const text = yield* cli(["rooms", "--json=false"], env(`127.0.0.1:${port}`))
      assert.match(text.stderr, /^error: FpnnConnectionError \(Refused\): /)
    }))

  it.live("an RtmError carries its code; ids in answers stay exact", () =>
    Effect.gen(function*() {
      const emulator = yield* makeEmulator({ pid: 7, secret: Redacted.make(SECRET) })
      const e = env(emulator.address)
      const o = yield* cli(["invite", "--from", "5000", "--json", "42", "1"], e)
      assert.strictEqual(o.code, 1)
      const { error } = JSON.parse(o.stderr)
      assert.deepInclude(error, { tag: "RtmError", reason: "NotInRoom", code: 200040 })
      const pulled = yield* cli(["pull", "--json", "9007199254740993", "9223372036854775807"], e)
      assert.deepStrictEqual([pulled.code, pulled.stdout], [0, `{"ok":true}`])
      const rooms = yield* cli(["rooms", "--json"], e)
      assert.strictEqual(rooms.stdout, `{"rids":[9007199254740993]}`)
    }).pipe(Effect.scoped))
})

describe("settings", () => {
  it.effect("a bad environment value names the variable, a bad flag the flag", () =>
    Effect.gen(function*() {
      const e = env("127.0.0.1:1")
      const badPid = yield* cli(["count", "1"], { ...e, RTM_PID: "config" })
      expectUsage(badPid, /\(InvalidSetting\): RTM_PID must be a positive integer project id, got "config"/)
      assert.notInclude(badPid.stderr, "--pid")
      expectUsage(
        yield* cli(["count", "--pid", "abc", "1"], e),
        /--pid must be a positive integer project id, got "abc"/
      )
      expectUsage(yield* cli(["count", "1"], { ...e, RTM_TIMEOUT: "0" }), /RTM_TIMEOUT must be a positive number of ms/)
      expectUsage(yield* cli(["count", "--timeout", "-5", "1"], e), /--timeout must be a positive number of ms/)
      expectUsage(
        yield* cli(["count", "1"], { ...e, RTM_ENDPOINT: "localhost" }),
        /RTM_ENDPOINT must be host:port, got "localhost"/
      )
      expectUsage(yield* cli(["count", "1"], { ...e, RTM_DIALECT: "sip" }), /RTM_DIALECT must be one of voice, rtc/)
      expectUsage(yield* cli(["count", "--dialect", "sip", "1"], e), /--dialect/)
    }))

  it.effect("every missing setting is named at once, with its variable", () =>
    Effect.gen(function*() {
      const o = yield* cli(["rooms"])
      expectUsage(
        o,
        /\(MissingSetting\): missing --endpoint \(or RTM_ENDPOINT\), --pid \(or RTM_PID\), --secret \(or RTM_SECRET\)$/
      )
      const mixed = yield* cli(["rooms"], { RTM_PID: "x" })
      expectUsage(mixed, /missing --endpoint \(or RTM_ENDPOINT\), --secret \(or RTM_SECRET\); RTM_PID must be/)
      const emulator = yield* cli(["emulator", "--port", "0"])
      expectUsage(emulator, /missing --pid \(or RTM_PID\), --secret \(or RTM_SECRET\)/)
    }))

  it.effect("a flag wins over the environment; an empty variable counts as unset", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const o = yield* cli(["rooms", "--endpoint", `127.0.0.1:${port}`], { ...env("nowhere"), RTM_SERVER_KEY: "" })
      assert.strictEqual(o.code, 1) // reached the (closed) port: the env's bad endpoint was not used
      assert.match(o.stderr, /^error: FpnnConnectionError \(Refused\)/)
      expectUsage(
        yield* cli(["rooms"], { ...env("127.0.0.1:1"), RTM_SECRET: "" }),
        /missing --secret \(or RTM_SECRET\)/
      )
    }))
})

describe("key files", () => {
  const dir = mkdtempSync(join(tmpdir(), "rtm-voice-run-test-"))
  const garbage = join(dir, "garbage.pem")
  writeFileSync(garbage, "not a key\n")
  const empty = join(dir, "empty.pem")
  writeFileSync(empty, "")
  const pair = Encryption.generateKeyPair("secp256k1")
  const privateFile = join(dir, "private.pem")
  writeFileSync(privateFile, pair.privateKeyPem)
  const publicFile = join(dir, "public.pem")
  writeFileSync(publicFile, pair.publicKeyPem)

  it.effect("a bad --server-key / RTM_SERVER_KEY / --key file exits 2 with one line naming the file", () =>
    Effect.gen(function*() {
      const e = env("127.0.0.1:1")
      expectUsage(
        yield* cli(["count", "--server-key", garbage, "1"], e),
        /\(KeyFile\): .*garbage\.pem \(--server-key\) is not a usable server public key/
      )
      expectUsage(
        yield* cli(["count", "1"], { ...e, RTM_SERVER_KEY: empty }),
        /empty\.pem \(RTM_SERVER_KEY\) is not a usable/
      )
      expectUsage(
        yield* cli(["count", "1"], { ...e, RTM_SERVER_KEY: join(dir, "missing.pem") }),
        /cannot read the server public key file .*missing\.pem \(RTM_SERVER_KEY\)/
      )
      const emulatorArgs = ["emulator", "--port", "0", "--pid", "7", "--secret", SECRET]
      expectUsage(yield* cli([...emulatorArgs, "--key", garbage]), /garbage\.pem \(--key\) is not a usable private key/)
      expectUsage(
        yield* cli([...emulatorArgs, "--key", publicFile]),
        /public\.pem \(--key\) is not a usable private key/
      )
      expectUsage(yield* cli([...emulatorArgs, "--key", join(dir, "nope")]), /cannot read the private key file/)
    }))

  it.effect("emulator --port out of range exits 2 with one line", () =>
    Effect.gen(function*() {
      for (const port of ["99999", "-1", "http", "1.5"]) {
        expectUsage(
          yield* cli(["emulator", "--port", port, "--pid", "7", "--secret", SECRET]),
          /--port must be an integer from 0 to 65535/
        )
      }
    }))

  it.effect("keygen refuses to overwrite existing key files without --force", () =>
    Effect.gen(function*() {
      const out = join(dir, "keys")
      const first = yield* cli(["keygen", "--out", out])
      assert.strictEqual(first.code, 0, first.stderr)
      const before = readFileSync(join(out, "server-private.pem"), "utf8")
      const again = yield* cli(["keygen", "--out", out])
      expectUsage(again, /\(FileExists\): .*server-private\.pem and .*server-public\.pem already exist; pass --force/)
      assert.strictEqual(readFileSync(join(out, "server-private.pem"), "utf8"), before)
      const forced = yield* cli(["keygen", "--out", out, "--force"])
      assert.strictEqual(forced.code, 0, forced.stderr)
      assert.notStrictEqual(readFileSync(join(out, "server-private.pem"), "utf8"), before)
      // the new files are a usable pair (the encrypted e2e test talks through one)
      assert.strictEqual(
        Encryption.parseServerPublicKey(readFileSync(join(out, "server-public.pem"))).curve,
        "secp256k1"
      )
      assert.strictEqual(
        Encryption.parseServerPrivateKey(readFileSync(join(out, "server-private.pem"))).curve,
        "secp256k1"
      )
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))))

  it("keygen's curve choices are the ones Encryption supports", () => {
    assert.deepStrictEqual([...CURVES], [...Encryption.CURVE_NAMES])
  })
})

describe("exit codes and the secret", () => {
  it("usage and validation errors are 2, everything else 1", () => {
    assert.strictEqual(exitCodeOf(new CliUsageError({ reason: { _tag: "KeyFile" }, message: "x" })), 2)
    assert.strictEqual(exitCodeOf({ _tag: "VoiceRoomValidationError" }), 2)
    assert.strictEqual(exitCodeOf({ _tag: "VoiceRoomOptionsError" }), 2)
    assert.strictEqual(exitCodeOf({ _tag: "FpnnOptionsError" }), 2)
    assert.strictEqual(exitCodeOf({ _tag: "FpnnConnectionError" }), 1)
    assert.strictEqual(exitCodeOf(new Error("boom")), 1)
  })

  it("the secret appears in nothing printed above", () => {
    assert.isAbove(printed.length, 40)
    assert.isFalse(printed.some((text) => text.includes(SECRET)))
  })
})
