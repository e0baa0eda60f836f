// Shared pieces of the benchmark processes: the pre-encoded frames, child-process
// plumbing (one JSON line per message on stdout), latency statistics.
import { spawn } from "node:child_process"
import { hash } from "node:crypto"
import * as Path from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

export const BENCH_DIR = Path.dirname(fileURLToPath(import.meta.url))
export const ROOT = Path.resolve(BENCH_DIR, "..")
export const dist = (pkg) => Path.join(ROOT, "packages", pkg, "dist", "index.js")

// RTM-VOICE.md §7: getVoiceRoomMemberCount rid 42 (pid 11000001, salt 123, ts 1700000000),
// seq 1, the gateway's own encoding; and its answer {count: 3}. Seq is patched per quest.
export const QUEST_HEX =
  "46504e4e018001174400000001000000676574566f696365526f6f6d4d656d626572436f756e7485a3706964ce00a7d8c1a47369676ed9203933373446343033414236423832333736433643354332383535344539313444a473616c747ba27473ce6553f100a37269642a"
export const ANSWER_HEX = "46504e4e01800200080000000100000081a5636f756e7403"
export const METHOD = "getVoiceRoomMemberCount"
export const PID = 11000001
export const SECRET = "secret-key"
export const ROOM_ID = 42

/** Sorted-copy percentiles of the first `n` latencies (microseconds). */
export const stats = (lat, n) => {
  if (n === 0) return { p50: NaN, p99: NaN, max: NaN }
  const s = lat.subarray(0, n).slice().sort()
  const at = (q) => s[Math.min(n - 1, Math.floor(q * n))]
  return { p50: at(0.5), p99: at(0.99), max: s[n - 1] }
}

/** The last line a child prints is its result (one JSON object). */
export const send = (obj) => process.stdout.write(JSON.stringify(obj) + "\n")

/**
 * Spawns `node <script> <args>` and returns { child, next() } where next() resolves
 * with the next JSON line it prints. Stderr is passed through prefixed.
 */
export const child = (script, args = [], nodeArgs = []) => {
  const proc = spawn(process.execPath, [...nodeArgs, Path.join(BENCH_DIR, script), ...args.map(String)], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: ROOT
  })
  const queue = []
  const waiters = []
  let ended = false
  let stderr = ""
  proc.stderr.on("data", (d) => {
    stderr += d
    if (stderr.length > 20000) stderr = stderr.slice(-20000)
  })
  createInterface({ input: proc.stdout }).on("line", (line) => {
    let msg
    try {
      msg = JSON.parse(line)
    } catch {
      return // stray output
    }
    const w = waiters.shift()
    if (w) w.resolve(msg)
    else queue.push(msg)
  })
  proc.on("exit", (code) => {
    ended = true
    for (const w of waiters.splice(0)) {
      w.reject(new Error(`${script} ${args.join(" ")} exited (${code}) without a result\n${stderr}`))
    }
  })
  return {
    proc,
    next: () =>
      queue.length > 0
        ? Promise.resolve(queue.shift())
        : ended
        ? Promise.reject(new Error(`${script} already exited\n${stderr}`))
        : new Promise((resolve, reject) => waiters.push({ resolve, reject })),
    stop: () =>
      new Promise((resolve) => {
        if (ended) return resolve()
        proc.once("exit", () => resolve())
        proc.kill("SIGTERM")
      })
  }
}

/** Runs a child to completion and returns its last JSON message. */
export const runChild = async (script, args, nodeArgs) => {
  const c = child(script, args, nodeArgs)
  const msg = await c.next()
  await c.stop()
  if (msg.error) throw new Error(`${script}: ${msg.error}`)
  return msg
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// A fresh salt per quest: strictly increasing microsecond-scale values (beyond 2^32, an
// int64 on the wire, like a real client's).
let lastSalt = 0n
export const nextSalt = () => {
  const c = BigInt(Date.now()) * 1000n
  lastSalt = c > lastSalt ? c : lastSalt + 1n
  return lastSalt
}

/**
 * The four auth fields + rid of a getVoiceRoomMemberCount quest, as the SDK builds them
 * (docs/PROTOCOL.md): a fresh salt, the current ts, MD5 with the one-shot `crypto.hash`.
 */
export const signedFields = (rid) => {
  const salt = nextSalt()
  const ts = Math.floor(Date.now() / 1000)
  const sign = hash("md5", `${PID}:${SECRET}:${salt}:${METHOD}:${ts}`, "hex").toUpperCase()
  return { pid: PID, sign, salt, ts, rid }
}

/** Runs an Effect program of a bench client: its result is the child's last line; exit 0 or 1. */
export const runProgram = (Effect, program) =>
  Effect.runPromise(program).then(
    (result) => {
      send(result)
      process.exit(0)
    },
    (e) => {
      send({ error: String(e?.stack ?? e) })
      process.exit(1)
    }
  )
