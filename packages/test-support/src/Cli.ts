/**
 * Runs the built CLI as real processes (the CLI's e2e tests, the reliability suite, the pack
 * test): a build-if-stale step shared across test files, one process runner with a cap on
 * concurrent processes, and an `rtm-voice emulator` process.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..")
export const cliMain = join(repoRoot, "packages/cli/dist/main.cjs")
export const packageDirs = ["fpnn-transport", "voice-room", "voice-room-emulator", "cli"].map((p) =>
  join(repoRoot, "packages", p)
)

const sourcesOf = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourcesOf(join(dir, e.name))
      : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")
      ? [join(dir, e.name)]
      : []
  )

// The bin's source becomes dist/main.cjs (the bundle removes tsc's dist/main.js).
const outputOf = (pkg: string, src: string): string =>
  src === join(repoRoot, "packages/cli/src/main.ts")
    ? cliMain
    : join(pkg, "dist", relative(join(pkg, "src"), src).replace(/\.ts$/, ".js"))

/** Source files whose dist output is missing or older than the source. */
export const staleOutputs = (): Array<string> =>
  packageDirs.flatMap((pkg) =>
    sourcesOf(join(pkg, "src")).filter((src) => {
      const out = outputOf(pkg, src)
      return !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs
    })
  )

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const execOut = (file: string, args: ReadonlyArray<string>, options: { cwd: string; timeout: number }) =>
  new Promise<{ code: number; output: string }>((done) => {
    execFile(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
      done({ code, output: `${stdout}${stderr}` })
    })
  })

/**
 * Builds the packages (`pnpm build`) unless every dist file is newer than its source.
 * A lock directory keeps test files that run in parallel from building at once.
 */
export const ensureBuilt = async (): Promise<void> => {
  if (staleOutputs().length === 0) return
  const lock = join(tmpdir(), `rtm-voice-build-${Buffer.from(repoRoot).toString("hex").slice(-24)}.lock`)
  const deadline = Date.now() + 120_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      // A lock older than 2 minutes belongs to a build that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock)
      } catch { /* gone meanwhile */ }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${lock}`)
      await sleep(200)
    }
  }
  try {
    const stale = staleOutputs()
    if (stale.length === 0) return
    const { code, output } = await execOut("npx", ["pnpm@12.4.2", "build"], { cwd: repoRoot, timeout: 120_000 })
    if (code !== 0) throw new Error(`pnpm build failed (exit ${code}):\n${output}`)
  } finally {
    rmdirSync(lock)
  }
}

export interface RunResult {
  readonly args: ReadonlyArray<string>
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** Date.now() at exit. */
  readonly exitedAt: number
}

/** Everything any process printed in this test file (for the no-secret check). */
export const captured: Array<{ readonly what: string; readonly text: () => string }> = []

/** No RTM_* variable leaks in from the developer's shell. */
export const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("RTM_")) env[k] = v
  return { ...env, NO_COLOR: "1", ...extra }
}

/**
 * At most this many CLI processes at a time per test file (vitest runs two files at once):
 * the machine has 2 cores, and a test that starts fifteen processes at once measures the
 * scheduler, not the CLI.
 */
const MAX_PROCESSES = 2
let running = 0
const waiting: Array<() => void> = []
const withSlot = async <A>(f: () => Promise<A>): Promise<A> => {
  if (running >= MAX_PROCESSES) await new Promise<void>((r) => waiting.push(r))
  running++
  try {
    return await f()
  } finally {
    running--
    waiting.shift()?.()
  }
}

/**
 * Runs `node packages/cli/dist/main.cjs ...args` to completion (a bounded number at a time).
 * A process still running after `timeoutMs` (15 s) is killed and the promise rejects, so a
 * hung CLI fails its test instead of the run. Effect tests wrap it in `Effect.promise`.
 */
export const runCli = (
  args: ReadonlyArray<string>,
  options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}
): Promise<RunResult> => withSlot(() => spawnCli(args, options))

const spawnCli = (
  args: ReadonlyArray<string>,
  options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string }
): Promise<RunResult> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [cliMain, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: cleanEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    captured.push({ what: `rtm-voice ${args.join(" ")}`, text: () => stdout + stderr })
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      fail(
        new Error(
          `rtm-voice ${args.join(" ")} did not finish in ${options.timeoutMs ?? 15_000} ms\n${stdout}\n${stderr}`
        )
      )
    }, options.timeoutMs ?? 15_000)
    child.on("error", fail)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      done({ args, code, signal, stdout, stderr, exitedAt: Date.now() })
    })
  })

export interface EmulatorProcess {
  readonly child: ChildProcess
  readonly address: string
  readonly port: number
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>
  readonly stop: () => Promise<number | string>
}

/** Spawns `rtm-voice emulator ...args` and waits for its `listening on HOST:PORT`. */
export const startEmulator = (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {}
): Promise<EmulatorProcess> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [cliMain, "emulator", ...args], {
      cwd: repoRoot,
      env: cleanEnv(env),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    captured.push({ what: `rtm-voice emulator ${args.join(" ")}`, text: () => stdout + stderr })
    const exited = new Promise<number | string>((r) =>
      child.on("exit", (code, signal) => r(code ?? signal ?? "unknown"))
    )
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      fail(new Error(`the emulator did not print "listening on" within 10 s\n${stdout}\n${stderr}`))
    }, 10_000)
    void exited.then((code) => {
      clearTimeout(timer)
      fail(new Error(`the emulator exited (${code}) before listening\n${stdout}\n${stderr}`))
    })
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d
      const m = /listening on (\S+):(\d+)\n/.exec(stdout)
      if (m !== null) {
        clearTimeout(timer)
        const stop = () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
          return exited
        }
        done({
          child,
          address: `${m[1]}:${m[2]}`,
          port: Number(m[2]),
          stdout: () => stdout,
          stderr: () => stderr,
          exited,
          stop
        })
      }
    })
  })
