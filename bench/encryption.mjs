// Encrypted connections against plain ones, side by side in one run: the SDK
// (VoiceRoomClient.getVoiceRoomMemberCount, signed per call) → the transport's FPNN server with
// encryption enabled (it accepts plain connections too), one connection, closed loop.
//
//   node bench/encryption.mjs [--quick] [--build] [--reps N] [--seconds S] [--windows 100,1024]
//                             [--modes plain,package-128,...] [--prof-dir DIR]
//
// Every client run is a fresh process; the server is one process for the whole run. Modes are
// interleaved within each repetition, so drift on the shared cores hits every mode alike; a
// mode's ratio is the median over repetitions of (mode ÷ the plain run of the same repetition).
// Prints a table, then as the LAST stdout line one JSON object with `<mode><bits>VsPlain<window>`
// keys (package128VsPlain100, stream128VsPlain1024, ...) and the rows.
// Internal roles (spawned by the run itself): `--server`, `--client <port> <window> ...`.
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { closedLoop } from "./closed-loop.mjs"
import { child, dist, PID, ROOM_ID, ROOT, runProgram, SECRET, send, stats } from "./lib.mjs"

const argv = process.argv.slice(2)
const flag = (name) => argv.includes(name)
const option = (name, fallback) => {
  const i = argv.indexOf(name)
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback
}

// ---- server role: the transport's FPNN server, one handler, encryption enabled
if (flag("--server")) {
  const { Effect } = await import("effect")
  const T = await import(dist("fpnn-transport"))
  const keys = T.Encryption.generateKeyPair()
  process.on("SIGTERM", () => process.exit(0))
  Effect.runFork(Effect.scoped(Effect.gen(function*() {
    const server = yield* T.FpnnServer.make({
      encryption: { privateKey: keys.privateKeyPem },
      handlers: { getVoiceRoomMemberCount: (payload) => Effect.succeed({ count: payload.rid === ROOM_ID ? 3 : 0 }) }
    })
    send({ port: server.port, publicKey: keys.publicKeyPem })
    return yield* Effect.never
  })))
} else if (flag("--client")) {
  // ---- client role: `window` fibers over ONE VoiceRoomClient, until `count` calls or `seconds`
  const [port, window, count, seconds, warmup, mode, strength, keyFile] = argv.slice(argv.indexOf("--client") + 1)
  const { Effect, Redacted } = await import("effect")
  const V = await import(dist("voice-room"))
  const encryption = mode === "plain"
    ? undefined
    : { serverKey: readFileSync(keyFile, "utf8"), mode, strength: Number(strength) }
  const layer = V.VoiceRoomClient.layer({
    endpoint: `127.0.0.1:${port}`,
    pid: PID,
    secret: Redacted.make(SECRET),
    transport: { encryption, questTimeout: 30_000 }
  })
  const W = Number(window)
  const phase = (client, n, deadline, lat) =>
    closedLoop({
      call: () => client.getVoiceRoomMemberCount(ROOM_ID),
      check: (answer) => answer === 3,
      deadline,
      lat,
      n,
      window: W
    })
  const program = Effect.gen(function*() {
    const client = yield* V.VoiceRoomClient
    const secs = Number(seconds)
    yield* phase(client, Number(warmup), performance.now() + secs * 1000)
    const lat = new Float64Array(Number(count))
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const done = yield* phase(client, Number(count), t0 + secs * 1000, lat)
    const elapsed = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    // CPU per call: steadier than calls/s on a loaded machine (the client's share only).
    const cpuUsPerCall = (cpu.user + cpu.system) / done
    return { calls: done, seconds: elapsed, perSec: done / elapsed, cpuUsPerCall, ...stats(lat, done) }
  })
  runProgram(Effect, program.pipe(Effect.provide(layer)))
} else {
  await main()
}

/** Like lib.mjs's runChild, but lets the client exit by itself (so that a --cpu-prof profile gets written). */
async function runClient(script, args, nodeArgs) {
  const c = child(script, args, nodeArgs)
  const msg = await c.next()
  await Promise.race([
    new Promise((resolve) => (c.proc.exitCode !== null ? resolve() : c.proc.once("exit", resolve))),
    new Promise((resolve) => setTimeout(resolve, 30_000))
  ])
  await c.stop()
  if (msg.error) throw new Error(`${script}: ${msg.error}`)
  return msg
}

async function main() {
  const started = performance.now()
  const quick = flag("--quick")
  if (flag("--build")) {
    const tsc = Path.join(ROOT, "node_modules", "typescript", "bin", "tsc")
    for (const pkg of ["fpnn-transport", "voice-room"]) {
      const r = spawnSync(process.execPath, [tsc, "-p", Path.join(ROOT, "packages", pkg, "tsconfig.build.json")], {
        cwd: ROOT,
        encoding: "utf8"
      })
      if (r.status !== 0) console.error(`[encryption] build of ${pkg}:\n${(r.stdout + r.stderr).slice(0, 2000)}`)
    }
  }
  const windows = option("--windows", "100,1024").split(",").map(Number)
  const modes = option(
    "--modes",
    quick ? "plain,package-128,stream-128" : "plain,package-128,stream-128,package-256,stream-256"
  )
    .split(",")
  if (!modes.includes("plain")) modes.unshift("plain")
  const reps = Number(option("--reps", quick ? 1 : 3))
  const seconds = Number(option("--seconds", quick ? 1 : 4))
  const count = quick ? 60_000 : 300_000
  const warmup = quick ? 3_000 : 20_000
  const profDir = option("--prof-dir", undefined)
  const nodeArgs = profDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", Path.resolve(profDir)]
  const script = Path.basename(new URL(import.meta.url).pathname)

  const server = child(script, ["--server"], nodeArgs)
  const { port, publicKey } = await server.next()
  const keyFile = Path.join(mkdtempSync(Path.join(Os.tmpdir(), "rtm-bench-enc-")), "server-public.pem")
  writeFileSync(keyFile, publicKey)

  const runs = [] // { window, mode, rep, perSec, p50, p99 } or { ..., error }
  for (let rep = 0; rep < reps; rep++) {
    for (const w of windows) {
      for (const mode of modes) {
        const [m, bits] = mode === "plain" ? ["plain", "0"] : mode.split("-")
        const args = ["--client", port, w, count, seconds, warmup, m, bits, keyFile]
        const r = await runClient(script, args, nodeArgs).catch((e) => ({ error: String(e.message).slice(0, 300) }))
        runs.push({ window: w, mode, rep, ...r })
      }
    }
  }
  await server.stop()

  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const rows = []
  for (const w of windows) {
    for (const mode of modes) {
      const mine = runs.filter((r) => r.window === w && r.mode === mode && r.error === undefined)
      const ratios = mine.map((r) => {
        const plain = runs.find((p) => p.window === w && p.mode === "plain" && p.rep === r.rep)
        return plain?.perSec === undefined ? NaN : r.perSec / plain.perSec
      })
      const error = runs.find((r) => r.window === w && r.mode === mode && r.error !== undefined)?.error
      const pick = mine.find((r) => r.perSec === median(mine.map((x) => x.perSec)))
      rows.push({
        window: w,
        mode,
        perSec: pick?.perSec,
        p50: pick?.p50,
        p99: pick?.p99,
        cpuUsPerCall: pick?.cpuUsPerCall,
        vsPlain: mine.length === 0 ? NaN : median(ratios),
        ratios,
        error
      })
    }
  }

  const f0 = (x) => (x === undefined || Number.isNaN(x) ? "-" : Math.round(x).toLocaleString("en-US"))
  const f2 = (x) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(2))
  const head = [
    "in flight",
    "mode",
    "calls/s",
    "p50 / p99 µs",
    "client CPU µs/call",
    "÷ plain (median)",
    "÷ plain per repetition"
  ]
  const body = rows.map((r) => [
    r.window,
    r.mode,
    r.error !== undefined && r.perSec === undefined ? `error: ${r.error}` : f0(r.perSec),
    `${f0(r.p50)} / ${f0(r.p99)}`,
    f2(r.cpuUsPerCall),
    f2(r.vsPlain),
    r.ratios.map(f2).join(" ")
  ])
  const all = [head, ...body]
  const widths = head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)))
  const line = (r) => "| " + r.map((c, i) => String(c).padEnd(widths[i])).join(" | ") + " |"
  console.log(
    `\n## encryption${
      quick ? " (--quick)" : ""
    }: SDK (VoiceRoomClient) → transport FPNN server, node ${process.version}, ` +
      `${reps} repetition(s), ${seconds} s per run, load average ${Os.loadavg()[0].toFixed(1)}`
  )
  console.log([line(head), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)].join("\n"))

  const summary = { quick, node: process.version, reps, seconds: (performance.now() - started) / 1000 }
  for (const r of rows) {
    if (r.mode === "plain") continue
    const [m, bits] = r.mode.split("-")
    summary[`${m}${bits}VsPlain${r.window}`] = r.vsPlain
  }
  summary.rows = rows
  console.log(JSON.stringify(summary))
  process.exit(0)
}
