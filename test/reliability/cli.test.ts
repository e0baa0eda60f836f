// Peer faults against the CLI: `rtm-voice` against the faulty peers of support.ts. Each
// must exit 1 with one tagged error on stderr (a fault the transport sees is named as that
// fault, not as a timeout), never hang, and never print the secret. The faults run through
// the CLI's own runner in this process (the command line, settings, SDK and error output
// are the same code); the two that leave a socket the process must not wait on — a
// silent peer and one that stops reading — also run as real processes
// (packages/cli/dist/main.cjs, built here first, as `pnpm build` does), which must exit
// (one still running after 15 s is killed and fails its test). No wall-clock budgets:
// only a silent peer's timeout is checked not to fire early. Also: invalid input exits 2
// before connecting, and an emulator restarted on the same port is usable again at once.
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { ensureBuilt, runCli, type RunResult as Run } from "@rtm-voice/test-support"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Exit, Scope } from "effect"
import { cliEffect } from "../../packages/cli/test/inProcess.js"
import {
  type Fault,
  faultPeer,
  freePort,
  guardProcess,
  PID,
  rawPeer,
  SECRET,
  SECRET_TEXT,
  voiceClient
} from "./support.js"

guardProcess()

// The suite runs from sources and CI does not build first: build if stale, under the
// lock the CLI's own e2e tests use, so parallel test files never write dist/ at once.
beforeAll(ensureBuilt, 180_000)

/** Runs the CLI in this process with the project's credentials in its environment. */
const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  cliEffect(args, { RTM_PID: String(PID), RTM_SECRET: SECRET_TEXT, ...env })

/**
 * The same as a process (async: the peers live in this process and must keep serving). The
 * runner caps concurrent processes and kills one still running after 15 s, failing its test.
 */
const cliProcess = (args: ReadonlyArray<string>) =>
  Effect.promise(() => runCli(args, { env: { RTM_PID: String(PID), RTM_SECRET: SECRET_TEXT } }))

/** The faults that also run as a process: the socket stays open, and the process must still exit. */
const AS_PROCESS: ReadonlySet<Fault> = new Set(["silent", "halfOpen"])

const expectNoSecret = (run: Run) => {
  expect(run.stdout + run.stderr).not.toContain(SECRET_TEXT)
  expect((run.stdout + run.stderr).toLowerCase()).not.toContain(SECRET_TEXT.toLowerCase())
}

/** One `error: <Tag> (<reason>)…` line on stderr, nothing on stdout. */
const expectTaggedFailure = (run: Run, tag: string, reason?: string) => {
  expect(run.code, run.stderr).toBe(1)
  expect(run.stdout).toBe("")
  const lines = run.stderr.trim().split("\n")
  expect(lines, run.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(new RegExp(`^error: ${tag}${reason === undefined ? "" : ` \\(${reason}\\)`}`))
  expectNoSecret(run)
}

const FAST_TIMEOUT = 4000 // a fault the transport sees ends the call with that fault, not a timeout
const SLOW_TIMEOUT = 800 // a silent fault ends it at the timeout

const cases: ReadonlyArray<readonly [Fault, string, string | undefined]> = [
  ["silent", "FpnnTimeoutError", undefined],
  ["garbage", "FpnnConnectionError", "ProtocolViolation"],
  ["closeAtOnce", "FpnnConnectionError", "Closed"],
  ["hugeHeader", "FpnnConnectionError", "ProtocolViolation"],
  ["wrongSeq", "FpnnTimeoutError", undefined],
  ["closeMidCall", "FpnnConnectionError", "Closed"],
  ["halfOpen", "FpnnTimeoutError", undefined],
  ["slowLoris", "FpnnTimeoutError", undefined]
]

describe("peer faults against the rtm-voice CLI", { concurrent: true }, () => {
  for (const [fault, tag, reason] of cases) {
    const slow = tag === "FpnnTimeoutError"
    const timeout = slow ? SLOW_TIMEOUT : FAST_TIMEOUT
    for (const asProcess of AS_PROCESS.has(fault) ? [false, true] : [false]) {
      const expected = `${tag}${reason ? ` (${reason})` : ""}`
      const title = `${fault}: exit 1, ${expected} on stderr${slow ? `, not before --timeout ${timeout}` : ""}`
      it.live(`${title}${asProcess ? " (a process, which exits)" : ""}`, () =>
        Effect.gen(function*() {
          const peer = yield* faultPeer(fault)
          const args = ["count", "--endpoint", peer.endpoint, "--timeout", String(timeout), "7"]
          const startedAt = Date.now()
          const run = yield* (asProcess ? cliProcess(args) : cli(args))
          expectTaggedFailure(run, tag, reason)
          expect(peer.connections()).toBe(1)
          if (slow) {
            // the timeout does not fire early (a lower bound, not a budget), counted from before
            // the run starts: the call's timer starts after that, while the peer may record its
            // accept late on a busy event loop
            expect(run.exitedAt - startedAt).toBeGreaterThanOrEqual(timeout - 50)
            expect(run.stderr).toContain(`within ${timeout} ms`)
          }
        }))
    }
  }

  it.live("connection refused: exit 1, FpnnConnectionError (Refused), not a timeout", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const run = yield* cli(["count", "--endpoint", `127.0.0.1:${port}`, "--timeout", String(FAST_TIMEOUT), "7"])
      expectTaggedFailure(run, "FpnnConnectionError", "Refused")
    }))

  it.live("a name that does not resolve: exit 1, FpnnConnectionError (Unresolved), not a timeout", () =>
    Effect.gen(function*() {
      const run = yield* cli([
        "count",
        "--endpoint",
        "no-such-host.invalid:13315",
        "--timeout",
        String(FAST_TIMEOUT),
        "7"
      ])
      expectTaggedFailure(run, "FpnnConnectionError", "Unresolved")
    }))

  it.live("invalid input exits 2 before connecting: no connection reaches the peer", () =>
    Effect.gen(function*() {
      const peer = yield* rawPeer(() => {})
      const base = ["--endpoint", peer.endpoint, "--timeout", "2000"]
      // (every invalid class per operation is covered against the SDK in validation.test.ts)
      const runs = yield* Effect.all([
        cli(["count", ...base, "1.5"]),
        cli(["count", ...base, "9223372036854775808"]), // 2^63: beyond int64
        cli(["pull", ...base, "1"]) // empty uid list
      ], { concurrency: "unbounded" })
      for (const run of runs) {
        expect(run.code, run.stderr).toBe(2)
        expect(run.stdout).toBe("")
        expectNoSecret(run)
      }
      expect(runs.map((r) => r.stderr.split("\n")[0])).toEqual(
        runs.map(() => expect.stringMatching(/^error: VoiceRoomValidationError/))
      )
      expect(peer.connections()).toBe(0)
    }))
})

describe("the secret in CLI output", () => {
  it.live("given as a flag: never printed — not on success, a wrong secret, a usage error, or a misplaced flag", () =>
    Effect.gen(function*() {
      const emulator = yield* makeEmulator({ pid: PID, secret: SECRET })
      const flag = ["--secret", SECRET_TEXT, "--endpoint", emulator.address, "--timeout", "3000"]
      const [ok, wrong, badPid, extra, misplaced] = yield* Effect.all([
        cli(["rooms", ...flag, "--json"], { RTM_SECRET: "" }),
        cli(["rooms", "--secret", `${SECRET_TEXT}-wrong`, "--endpoint", emulator.address]),
        cli(["count", ...flag, "--pid", "abc", "1"]),
        cli(["count", ...flag, "1", "2", "3"]),
        cli(["--secret", SECRET_TEXT, "count", "--endpoint", emulator.address, "1"])
      ], { concurrency: "unbounded" })
      expect([ok!.code, ok!.stdout.trim()], ok!.stderr).toEqual([0, `{"rids":[]}`])
      expectTaggedFailure(wrong!, "RtmError", "InvalidSignature")
      for (const run of [badPid!, extra!, misplaced!]) expect(run.code, run.stderr).toBe(2)
      for (const run of [ok!, wrong!, badPid!, extra!, misplaced!]) expectNoSecret(run)
    }))
})

describe("the emulator restarting between CLI calls", () => {
  it.live("up: exit 0; stopped: exit 1 Refused; restarted on the same port: exit 0 again", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const endpoint = ["--endpoint", `127.0.0.1:${port}`, "--timeout", "3000"]
      const start = Effect.gen(function*() {
        const scope = yield* Scope.make()
        const emulator = yield* makeEmulator({ pid: PID, secret: SECRET, port }).pipe(Scope.provide(scope))
        yield* Effect.scoped(
          Effect.flatMap(voiceClient(emulator.address), ({ client }) => client.pullUserIntoVoiceRoom(5, [10, 11]))
        )
        return scope
      })
      let emulator = yield* start
      const first = yield* cli(["count", ...endpoint, "--json", "5"])
      expect([first.code, first.stdout.trim()], first.stderr).toEqual([0, `{"count":2}`])

      yield* Scope.close(emulator, Exit.void)
      const down = yield* cli(["count", ...endpoint, "5"])
      expectTaggedFailure(down, "FpnnConnectionError", "Refused")

      emulator = yield* start
      const again = yield* cli(["count", ...endpoint, "--json", "5"])
      expect([again.code, again.stdout.trim()], again.stderr).toEqual([0, `{"count":2}`])
      yield* Scope.close(emulator, Exit.void)
      for (const run of [first, again]) expectNoSecret(run)
    }))
})
