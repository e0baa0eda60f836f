/**
 * `rtm-voice ...argv` in this process, through the CLI's own runner (Bin.run: argv in, exit
 * code out) with a captured console and exactly the given environment, answering with what
 * a process run answers (exit code, stdout, stderr, one line per console line). Argument
 * parsing, settings, validation, output and exit codes need no process; the process tests
 * (cli.e2e.test.ts and the reliability suite) keep what does: the executable's start, help
 * from help.json, real stdio, signals, the process exiting.
 */
import { captured, type RunResult } from "@rtm-voice/test-support"
import { ConfigProvider, Effect } from "effect"
import { TestConsole } from "effect/testing"
import { run } from "../src/Bin.js"
import { cliServices } from "../src/Services.js"

const text = (lines: ReadonlyArray<unknown>): string =>
  lines.map((l) => `${Array.isArray(l) ? l.join(" ") : String(l)}\n`).join("")

/** The run as an Effect (for Effect tests); recorded in `captured` for the no-secret checks. */
export const cliEffect = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const code = yield* run(args)
    const result: RunResult = {
      args,
      code,
      signal: null,
      stdout: text(yield* TestConsole.logLines),
      stderr: text(yield* TestConsole.errorLines),
      exitedAt: Date.now()
    }
    captured.push({ what: `rtm-voice ${args.join(" ")} (in process)`, text: () => result.stdout + result.stderr })
    return result
  }).pipe(
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })),
    Effect.provide([cliServices, TestConsole.layer])
  )

/** The same as a Promise, with `runCli`'s signature (the environment holds only `env`). */
export const cliInProcess = (args: ReadonlyArray<string>, options: { env?: Record<string, string> } = {}) =>
  Effect.runPromise(cliEffect(args, options.env))
