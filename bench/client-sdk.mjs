// SDK-side load generator: `window` fibers, each calling getVoiceRoomMemberCount in a
// loop over ONE client (one connection), until `count` calls or `maxSeconds`.
//   node client-sdk.mjs window <port> <window> <count> <maxSeconds> <warmup> [mode strength publicKeyFile]
//   node --expose-gc client-sdk.mjs memory <port> <window> <total> <samples> <warmupFraction>
import { readFileSync } from "node:fs"
import { performance } from "node:perf_hooks"
import { getHeapSpaceStatistics as heapSpaces } from "node:v8"
import { closedLoop } from "./closed-loop.mjs"
import { ROOM_ID, runProgram, stats } from "./lib.mjs"
import { Effect, level, makeCallerLayer, spansEnded, traced, withBenchTracer } from "./sdk.mjs"

const [what, port, window, count, a, b, mode, strength, keyFile] = process.argv.slice(2)
const W = Number(window)
// BENCH_WARM_WINDOW: the warm-up's calls in flight (default: the measured window).
const warmWindow = Number(process.env.BENCH_WARM_WINDOW ?? W)
const N = Number(count)

const encryption = mode === undefined || mode === "plain"
  ? undefined
  : { serverKey: readFileSync(keyFile, "utf8"), mode, strength: Number(strength) }
const { layer, caller } = makeCallerLayer({ endpoint: `127.0.0.1:${port}`, encryption })

/** Runs `n` calls with W in flight (closed loop); `onCall(i)` after each completes. */
const phase = (call, n, deadline, lat, onCall, window = W) =>
  closedLoop({
    call: () => call(ROOM_ID),
    check: (answer) => typeof answer === "number",
    deadline,
    lat,
    n,
    onCall,
    window
  }).pipe(Effect.map((done) => ({ done })))

const windowRun = Effect.gen(function*() {
  const maxSeconds = Number(a)
  const warmup = Number(b)
  const call = yield* caller
  if (warmup > 0) yield* phase(call, warmup, performance.now() + maxSeconds * 1000, undefined, undefined, warmWindow)
  const lat = new Float64Array(N)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const { done } = yield* phase(call, N, t0 + maxSeconds * 1000, lat)
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  // CPU time of this process per call: less disturbed by other load than calls/s.
  const cpuUsPerCall = (cpu.user + cpu.system) / done
  // Traced: every call of both phases ended one span (the check that the tracer saw them).
  const spans = traced ? spansEnded() : undefined
  return { level, traced, spans, calls: done, seconds, perSec: done / seconds, cpuUsPerCall, ...stats(lat, done) }
})

// Heap and RSS across N calls, sampled `samples` times (after a full GC, so heapUsed is
// what survives); growth is measured from the sample at `warmupFraction` of the run.
// Each sample has V8's young generation ("new space") committed size beside the RSS.
const memoryRun = Effect.gen(function*() {
  const samples = Number(a)
  const warmupFraction = Number(b)
  const call = yield* caller
  const every = Math.floor(N / samples)
  const points = []
  const sample = (calls) => {
    globalThis.gc?.()
    const m = process.memoryUsage()
    const space = (name) => heapSpaces().find((s) => s.space_name === name)?.space_size ?? 0
    points.push({
      calls,
      rssMB: m.rss / 2 ** 20,
      heapUsedMB: m.heapUsed / 2 ** 20,
      heapTotalMB: m.heapTotal / 2 ** 20,
      newSpaceMB: space("new_space") / 2 ** 20,
      externalMB: m.external / 2 ** 20
    })
  }
  sample(0)
  const t0 = performance.now()
  let nextAt = every
  const { done } = yield* phase(call, N, Infinity, undefined, (d) => {
    if (d >= nextAt) {
      nextAt += every
      sample(d)
    }
  })
  const seconds = (performance.now() - t0) / 1000
  if (points[points.length - 1].calls !== done) sample(done)
  const warm = points.find((p) => p.calls >= warmupFraction * done)
  const last = points[points.length - 1]
  const per100k = (last.calls - warm.calls) / 100_000
  return {
    level,
    calls: done,
    seconds,
    perSec: done / seconds,
    warmupCalls: warm.calls,
    // V8 sizes its young generation to the allocation rate, up to a cap (Node 20: 32 MB;
    // Node 24 grows it 32 → 64 → 128 MB over a long run). That capacity is not memory the
    // client holds, so the growth target is RSS outside it; the whole RSS is reported too.
    rssGrowthMBPer100k: ((last.rssMB - last.newSpaceMB) - (warm.rssMB - warm.newSpaceMB)) / per100k,
    rssTotalGrowthMBPer100k: (last.rssMB - warm.rssMB) / per100k,
    heapGrowthMBPer100k: (last.heapUsedMB - warm.heapUsedMB) / per100k,
    points
  }
})

const program = withBenchTracer((what === "memory" ? memoryRun : windowRun).pipe(Effect.provide(layer)))
runProgram(Effect, program)
