// `pnpm bench [--quick]`: builds the packages (tsc → dist; benchmarks run production JS,
// not a transformer), starts the servers in child processes, runs every client in its
// own fresh process, prints a table and, as the LAST stdout line, one JSON object.
// Servers and clients never share an event loop. All traffic is on 127.0.0.1.
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, writeFileSync } from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { measureCliStart } from "./cli-start.mjs"
import { child, ROOT, runChild } from "./lib.mjs"

const quick = process.argv.includes("--quick")
// `--cli-only`: build the CLI and measure its start (cliStartVsNode) without the rest.
const cliOnly = process.argv.includes("--cli-only")
const started = performance.now()
const log = (...a) => console.log(...a)

// ---- 1. build (a few seconds with TypeScript 7)
const tsc = Path.join(ROOT, "node_modules", "typescript", "bin", "tsc")
const built = {}
for (const pkg of ["fpnn-transport", "voice-room", "voice-room-emulator"]) {
  const config = Path.join(ROOT, "packages", pkg, "tsconfig.build.json")
  if (!existsSync(Path.join(ROOT, "packages", pkg, "src", "index.ts"))) {
    built[pkg] = "absent"
    continue
  }
  const r = spawnSync(process.execPath, [tsc, "-p", config], { cwd: ROOT, encoding: "utf8" })
  // tsc still emits on type errors; say so rather than silently bench stale code.
  built[pkg] = r.status === 0
    ? "ok"
    : existsSync(Path.join(ROOT, "packages", pkg, "dist", "index.js"))
    ? "type errors (emitted)"
    : "failed"
  if (r.status !== 0) console.error(`[bench] build of ${pkg}: ${built[pkg]}\n${(r.stdout + r.stderr).slice(0, 2000)}`)
}
if (built["fpnn-transport"] === "failed") throw new Error("fpnn-transport does not build; nothing to benchmark")
// The CLI as `pnpm build` makes it: tsc, then the bundled bin (dist/main.cjs and its chunks).
{
  const config = Path.join(ROOT, "packages", "cli", "tsconfig.build.json")
  const r = spawnSync(process.execPath, [tsc, "-p", config], { cwd: ROOT, encoding: "utf8" })
  const b = spawnSync(process.execPath, [Path.join(ROOT, "packages", "cli", "scripts", "bundle-bin.mjs")], {
    cwd: ROOT,
    encoding: "utf8"
  })
  built.cli = b.status !== 0 ? "failed" : r.status === 0 ? "ok" : "type errors (emitted)"
  if (r.status !== 0 || b.status !== 0) {
    console.error(`[bench] build of cli: ${built.cli}\n${(r.stdout + r.stderr + b.stdout + b.stderr).slice(0, 2000)}`)
  }
}

// ---- CLI start: `rtm-voice --help` and a refused call against `node -e 0`, interleaved
const cliRounds = quick ? 5 : 15
const loadBefore = Os.loadavg()[0]
const cliStart = built.cli === "failed" ? undefined : await measureCliStart({ rounds: cliRounds })
const loadAfter = Os.loadavg()[0]
const cliTable = () => {
  const f = (x) => Math.round(x).toLocaleString("en-US")
  log(
    `\n## CLI start (fresh process, wall time spawn → exit; median of ${cliRounds} interleaved rounds; load average ${
      loadBefore.toFixed(1)
    } → ${loadAfter.toFixed(1)})`
  )
  if (cliStart === undefined) return log("the CLI did not build")
  log(table(
    ["", "ms", "÷ node -e 0"],
    [
      ["node -e 0", f(cliStart.nodeMs), "1.00"],
      ["rtm-voice --help", f(cliStart.helpMs), cliStart.helpVsNode.toFixed(2)],
      ["rtm-voice count 1 (connection refused, exit 1)", f(cliStart.refusedMs), cliStart.refusedVsNode.toFixed(2)]
    ]
  ))
}
const table = (head, body) => {
  const all = [head, ...body]
  const widths = head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)))
  const line = (r) => "| " + r.map((c, i) => String(c).padEnd(widths[i])).join(" | ") + " |"
  return [line(head), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)].join("\n")
}
if (cliOnly) {
  log(
    `\n# rtm-voice CLI start${quick ? " (--quick)" : ""}: node ${process.version}, ${Os.cpus().length}× ${
      Os.cpus()[0]?.model ?? "?"
    }`
  )
  cliTable()
  log(`\ntarget: cliStartVsNode ≤ 2.5 (${cliStart?.cliStartVsNode.toFixed(2) ?? "-"})`)
  console.log(
    JSON.stringify({
      quick,
      node: process.version,
      cpus: Os.cpus().length,
      cliStartVsNode: cliStart?.cliStartVsNode,
      cliStart
    })
  )
  process.exit(0)
}

// ---- 2. servers
const responder = child("responder.mjs")
const emulator = child("server.mjs", ["emulator"])
const encrypted = child("server.mjs", ["encrypted"])
const [resp, emu, enc] = await Promise.all([responder.next(), emulator.next(), encrypted.next()])
const keyFile = Path.join(mkdtempSync(Path.join(Os.tmpdir(), "rtm-bench-")), "server-public.pem")
writeFileSync(keyFile, enc.publicKey)

// ---- 3. sizes: every measurement is bounded in count and in time
const P = quick
  ? {
    w1: [3_000, 1],
    w100: [30_000, 1.2],
    w1024: [60_000, 1.5],
    warm: 2_000,
    rawScale: 4,
    repeats: 1,
    memCalls: 100_000,
    codec: [5, 200],
    cold: 1,
    enc: [20_000, 1.2],
    encWindows: [100]
  }
  : {
    w1: [20_000, 4],
    w100: [300_000, 6],
    w1024: [400_000, 8],
    warm: 30_000,
    rawScale: 4,
    repeats: 3,
    memCalls: 1_000_000,
    codec: [9, 800],
    cold: 5,
    enc: [200_000, 6],
    encWindows: [100, 1024]
  }
const WINDOWS = [1, 100, 1024]
const sizes = { 1: P.w1, 100: P.w100, 1024: P.w1024 }
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// env: { BENCH_LEVEL?, BENCH_TRACER?, BENCH_WARM_WINDOW? } for the child (see sdk.mjs).
// An Effect client warms up at no more than 100 in flight, as a service's code is warm
// before its peak: a process whose first calls come as ~1,000 at once meets V8's
// allocation-site pretenuring instead (BENCHMARKS.md, "A cold burst"), measured apart.
const sdkRun = (port, w, env = {}, extra = []) => {
  const [count, secs] = extra.length > 0 ? P.enc : sizes[w]
  const warmWindow = env.BENCH_WARM_WINDOW ?? String(Math.min(w, 100))
  return runChildEnv({ ...env, BENCH_WARM_WINDOW: warmWindow }, "client-sdk.mjs", [
    "window",
    port,
    w,
    count,
    secs,
    P.warm,
    ...extra
  ])
}
// The raw client is a few times faster: more calls in the same time bound.
const rawRun = (port, w) => {
  const [count, secs] = sizes[w]
  return runChild("client-raw.mjs", [port, w, count * P.rawScale, secs, P.warm * P.rawScale])
}
const BENCH_ENV = ["BENCH_LEVEL", "BENCH_TRACER", "BENCH_WARM_WINDOW"]
const runChildEnv = async (env, script, args, nodeArgs) => {
  const saved = Object.fromEntries(BENCH_ENV.map((k) => [k, process.env[k]]))
  for (const k of BENCH_ENV) {
    if (env[k] !== undefined) process.env[k] = env[k]
    else delete process.env[k]
  }
  try {
    return await runChild(script, args, nodeArgs)
  } finally {
    for (const k of BENCH_ENV) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
  }
}

// ---- 4. throughput and latency, one connection, 1 / 100 / 1,024 in flight
const TRANSPORT = { BENCH_LEVEL: "transport" }
const TRACED = { BENCH_TRACER: "recording" }
const COLD = { BENCH_WARM_WINDOW: "1024" }
const rows = []
let sdkLevel = "transport"
for (const w of WINDOWS) {
  const reps = w === 1 ? 1 : P.repeats
  const acc = { raw: [], sdkResp: [], trResp: [], traced: [], sdkEmu: [], sdkCold: [], trCold: [] }
  // Interleaved, so that drift on the shared cores hits every column alike.
  for (let r = 0; r < reps; r++) {
    acc.raw.push(await rawRun(resp.port, w))
    acc.sdkResp.push(await sdkRun(resp.port, w))
    acc.trResp.push(await sdkRun(resp.port, w, TRANSPORT))
    if (w === 100) acc.traced.push(await sdkRun(resp.port, w, TRACED))
    if (r === 0) acc.sdkEmu.push(await sdkRun(emu.port, w))
    if (w === 1024) {
      acc.sdkCold.push(await sdkRun(resp.port, w, COLD))
      acc.trCold.push(await sdkRun(resp.port, w, { ...TRANSPORT, ...COLD }))
    }
  }
  const pick = (xs) => xs.find((x) => x.perSec === median(xs.map((y) => y.perSec)))
  const row = {
    window: w,
    raw: pick(acc.raw),
    sdkResp: pick(acc.sdkResp),
    trResp: pick(acc.trResp),
    traced: acc.traced.length > 0 ? pick(acc.traced) : undefined,
    sdkEmu: pick(acc.sdkEmu),
    sdkCold: acc.sdkCold.length > 0 ? pick(acc.sdkCold) : undefined,
    trCold: acc.trCold.length > 0 ? pick(acc.trCold) : undefined
  }
  if (row.traced !== undefined && !(row.traced.spans >= row.traced.calls)) {
    throw new Error(`the traced run ended ${row.traced.spans} spans for ${row.traced.calls} calls`)
  }
  sdkLevel = row.sdkResp.level
  rows.push(row)
}

// ---- 5. codec, memory, cold start, encryption
const codec = await runChild("codec.mjs", P.codec)
const memoryRun = (env) =>
  runChildEnv(env, "client-sdk.mjs", ["memory", resp.port, 100, P.memCalls, 20, 0.2], ["--expose-gc"])
const memory = await memoryRun({})
const memoryTransport = await memoryRun(TRANSPORT)
const colds = []
for (let i = 0; i < P.cold; i++) colds.push(await runChild("client-cold.mjs", [emu.port]))
const coldsEnc = []
for (let i = 0; i < P.cold; i++) coldsEnc.push(await runChild("client-cold.mjs", [enc.port, "package", 128, keyFile]))
const ENC_MODES = [["plain", 0], ["package", 128], ["stream", 128], ["stream", 256]]
const encRows = []
for (const w of P.encWindows) {
  for (const [mode, strength] of ENC_MODES) {
    const r = await sdkRun(enc.port, w, {}, [mode, strength, keyFile].map(String)).catch((e) => ({
      error: String(e.message).slice(0, 200)
    }))
    encRows.push({ window: w, mode: mode === "plain" ? "plain" : `${mode}-${strength}`, ...r })
  }
}
await Promise.all([responder.stop(), emulator.stop(), encrypted.stop()])

// ---- 6. report
const f0 = (x) => (x === undefined || Number.isNaN(x) ? "-" : Math.round(x).toLocaleString("en-US"))
const f2 = (x) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(2))
const us = (r) => `${f0(r.p50)} / ${f0(r.p99)}`
const cpu = (r) => (r?.cpuUsPerCall === undefined ? "-" : r.cpuUsPerCall.toFixed(1))
const sdkName = sdkLevel === "voice-room" ? "SDK (VoiceRoomClient)" : "SDK (FpnnClient.call, transport level)"
log(
  `\n# rtm-voice benchmarks${quick ? " (--quick)" : ""}: node ${process.version}, ${Os.cpus().length}× ${
    Os.cpus()[0]?.model ?? "?"
  }, ${Math.round(Os.totalmem() / 2 ** 30)} GiB`
)
log(
  `builds: ${Object.entries(built).map(([k, v]) => `${k} ${v}`).join(", ")}; emulator column served by: ${emu.kind}\n`
)
log("## getVoiceRoomMemberCount over one connection: calls/s (latency p50 / p99 µs) [client CPU µs per call]")
log(table(
  [
    "in flight",
    "raw signing node:net",
    sdkName,
    "transport FpnnClient.call",
    `${sdkName}, recording tracer`,
    `${sdkName} → ${emu.kind}`,
    "SDK ÷ raw",
    "SDK ÷ transport",
    "transport ÷ raw"
  ],
  rows.map((r) => [
    r.window,
    `${f0(r.raw.perSec)} (${us(r.raw)}) [${cpu(r.raw)}]`,
    `${f0(r.sdkResp.perSec)} (${us(r.sdkResp)}) [${cpu(r.sdkResp)}]`,
    `${f0(r.trResp.perSec)} (${us(r.trResp)}) [${cpu(r.trResp)}]`,
    r.traced === undefined ? "" : `${f0(r.traced.perSec)} (${us(r.traced)}) [${cpu(r.traced)}]`,
    `${f0(r.sdkEmu.perSec)} (${us(r.sdkEmu)})`,
    f2(r.sdkResp.perSec / r.raw.perSec),
    f2(r.sdkResp.perSec / r.trResp.perSec),
    f2(r.trResp.perSec / r.raw.perSec)
  ])
))
const cold = rows.find((r) => r.sdkCold !== undefined)
if (cold !== undefined) {
  log("\n## a cold burst: 1,024 in flight from the first call (warm-up at 1,024 too), calls/s [CPU µs per call]")
  log(table(
    ["client", "warmed at 100", "cold burst", "cold ÷ warmed"],
    [
      [sdkName, cold.sdkResp, cold.sdkCold],
      ["transport FpnnClient.call", cold.trResp, cold.trCold]
    ].map((
      [name, warm, c]
    ) => [name, `${f0(warm.perSec)} [${cpu(warm)}]`, `${f0(c.perSec)} [${cpu(c)}]`, f2(c.perSec / warm.perSec)])
  ))
}
log("\n## codec: the getVoiceRoomMemberCount quest encoded + its answer decoded, per second")
log(
  table(["ours (framing + codec)", "msgpackr alone", "ours ÷ msgpackr"], [[
    f0(codec.oursPerSec),
    f0(codec.msgpackrPerSec),
    f2(codec.codecVsMsgpackr)
  ]])
)
log(
  `\n## memory across ${f0(memory.calls)} calls (100 in flight, heap after full GC), growth after the first ${
    f0(memory.warmupCalls)
  }`
)
log(table(
  [
    "client",
    "calls/s",
    "RSS start → warm → end (MB)",
    "heap used warm → end (MB)",
    "young generation start → end (MB)",
    "RSS growth MB/100k",
    "RSS outside the young generation, growth MB/100k",
    "heap growth MB/100k"
  ],
  [[sdkName, memory], ["transport", memoryTransport]].map(([name, m]) => {
    const warm = m.points.find((p) => p.calls === m.warmupCalls)
    const last = m.points[m.points.length - 1]
    return [
      name,
      f0(m.perSec),
      `${f0(m.points[0].rssMB)} → ${f0(warm.rssMB)} → ${f0(last.rssMB)}`,
      `${f2(warm.heapUsedMB)} → ${f2(last.heapUsedMB)}`,
      `${f0(m.points[0].newSpaceMB)} → ${f0(last.newSpaceMB)}`,
      f2(m.rssTotalGrowthMBPer100k),
      f2(m.rssGrowthMBPer100k),
      f2(m.heapGrowthMBPer100k)
    ]
  })
))
log(`\n## cold start (fresh process; median of ${P.cold})`)
log(table(
  ["", "import (ms)", "Layer build → first answer (ms)", "process start → first answer (ms)"],
  [["plain, emulator", colds], ["encrypted package-128, FPNN server", coldsEnc]].map(([n, c]) => [
    n,
    f0(median(c.map((x) => x.importMs))),
    f2(median(c.map((x) => x.layerToFirstAnswerMs))),
    f0(median(c.map((x) => x.processToFirstAnswerMs)))
  ])
))
const encVsPlain = (r) => {
  const plain = encRows.find((p) => p.window === r.window && p.mode === "plain")
  return r.error !== undefined || plain?.perSec === undefined ? NaN : r.perSec / plain.perSec
}
log(`\n## encryption: ${sdkName} → transport FPNN server (encryption enabled), calls/s (p50 / p99 µs)`)
log(table(
  ["in flight", "mode", "calls/s", "latency", "÷ plain"],
  encRows.map((r) => [
    r.window,
    r.mode,
    r.error ? `error: ${r.error}` : f0(r.perSec),
    r.error ? "" : us(r),
    r.error ? "" : f2(encVsPlain(r))
  ])
))
cliTable()
const row = (w) => rows.find((r) => r.window === w)
const encKey = (r) => `${r.mode.replace("-", "")}VsPlain${r.window}`
const summary = {
  quick,
  node: process.version,
  cpus: Os.cpus().length,
  sdkLevel,
  emulator: emu.kind,
  sdkVsRawSigned1: row(1).sdkResp.perSec / row(1).raw.perSec,
  sdkVsRawSigned100: row(100).sdkResp.perSec / row(100).raw.perSec,
  sdkVsRawSigned1024: row(1024).sdkResp.perSec / row(1024).raw.perSec,
  sdkVsTransport100: row(100).sdkResp.perSec / row(100).trResp.perSec,
  sdkVsTransport1024: row(1024).sdkResp.perSec / row(1024).trResp.perSec,
  transportVsRawSigned100: row(100).trResp.perSec / row(100).raw.perSec,
  transportVsRawSigned1024: row(1024).trResp.perSec / row(1024).raw.perSec,
  sdk1024Vs100: row(1024).sdkResp.perSec / row(100).sdkResp.perSec,
  sdkColdBurst1024VsWarmed: row(1024).sdkCold === undefined
    ? undefined
    : row(1024).sdkCold.perSec / row(1024).sdkResp.perSec,
  transportColdBurst1024VsWarmed: row(1024).trCold === undefined
    ? undefined
    : row(1024).trCold.perSec / row(1024).trResp.perSec,
  sdkP50OverRawUs1: row(1).sdkResp.p50 - row(1).raw.p50,
  tracedVsUntraced100: row(100).traced.perSec / row(100).sdkResp.perSec,
  codecVsMsgpackr: codec.codecVsMsgpackr,
  rssGrowthMBPer100k: memory.rssGrowthMBPer100k,
  rssTotalGrowthMBPer100k: memory.rssTotalGrowthMBPer100k,
  heapGrowthMBPer100k: memory.heapGrowthMBPer100k,
  memoryCalls: memory.calls,
  transportRssGrowthMBPer100k: memoryTransport.rssGrowthMBPer100k,
  transportRssTotalGrowthMBPer100k: memoryTransport.rssTotalGrowthMBPer100k,
  ...Object.fromEntries(encRows.filter((r) => r.mode !== "plain").map((r) => [encKey(r), encVsPlain(r)])),
  cliStartVsNode: cliStart?.cliStartVsNode,
  callsPerSec: Object.fromEntries(rows.map((r) => [r.window, {
    raw: r.raw.perSec,
    sdk: r.sdkResp.perSec,
    transport: r.trResp.perSec,
    ...(r.traced === undefined ? {} : { sdkTraced: r.traced.perSec }),
    sdkEmulator: r.sdkEmu.perSec
  }])),
  cpuUsPerCall: Object.fromEntries(rows.map((r) => [r.window, {
    raw: r.raw.cpuUsPerCall,
    sdk: r.sdkResp.cpuUsPerCall,
    transport: r.trResp.cpuUsPerCall
  }])),
  coldStartMs: median(colds.map((x) => x.layerToFirstAnswerMs)),
  cliStart,
  seconds: (performance.now() - started) / 1000
}
// The targets of the project (BENCHMARKS.md): [key, comparison, bound].
const TARGETS = [
  ["sdkVsTransport100", ">=", 0.8],
  ["sdkVsTransport1024", ">=", 0.8],
  ["sdkVsRawSigned100", ">=", 0.7],
  ["sdkVsRawSigned1024", ">=", 0.7],
  ["sdk1024Vs100", ">=", 0.9],
  ["sdkP50OverRawUs1", "<=", 20],
  ["tracedVsUntraced100", ">=", 0.8],
  ["rssGrowthMBPer100k", "<=", 0.5],
  ["heapGrowthMBPer100k", "<=", 0.05],
  ["package128VsPlain100", ">=", 0.8],
  ["stream128VsPlain100", ">=", 0.8],
  ["codecVsMsgpackr", ">=", 0.7],
  ["cliStartVsNode", "<=", 2.5]
]
log(`\n## targets (total ${f0(summary.seconds)} s)`)
log(table(
  ["key", "target", "measured", "met"],
  TARGETS.map(([k, cmp, bound]) => {
    const v = summary[k]
    const met = v === undefined || Number.isNaN(v) ? "-" : (cmp === ">=" ? v >= bound : v <= bound) ? "yes" : "NO"
    return [k, `${cmp === ">=" ? "≥" : "≤"} ${bound}`, f2(v), met]
  })
))
console.log(JSON.stringify(summary))
process.exit(0)
