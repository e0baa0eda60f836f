// CLI start time against Node's own start, side by side in one run:
//   node bench/cli-start.mjs [--quick] [--node /path/to/node] [--cli path/to/main.cjs]
// Each round spawns, in turn, `node -e 0`, `rtm-voice --help` and a call that fails at once
// (`rtm-voice count 1` against a closed port on 127.0.0.1, exit 1). The rounds interleave the
// three, so that drift on shared cores hits every column alike; the result is the ratio of the
// medians (wall time from spawn to exit). One warm-up round first: it fills Node's module
// compile cache, as the first run after an install does.
import { spawn } from "node:child_process"
import * as net from "node:net"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { pathToFileURL } from "node:url"
import { ROOT } from "./lib.mjs"

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const closedPort = () =>
  new Promise((resolve) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

/** Wall time of one process from spawn to exit, in ms; rejects on an unexpected exit code. */
const timeProcess = (node, args, env, expectCode) =>
  new Promise((resolve, reject) => {
    const t0 = performance.now()
    const proc = spawn(node, args, { stdio: ["ignore", "ignore", "pipe"], env, cwd: ROOT })
    let stderr = ""
    proc.stderr.on("data", (d) => (stderr += d))
    proc.on("error", reject)
    proc.on("exit", (code) => {
      const ms = performance.now() - t0
      if (code !== expectCode) reject(new Error(`${args.join(" ")} exited ${code}, expected ${expectCode}\n${stderr}`))
      else resolve(ms)
    })
  })

/**
 * Medians of `rounds` interleaved runs: { nodeMs, helpMs, refusedMs, helpVsNode, refusedVsNode, cliStartVsNode }
 * where cliStartVsNode is the worse of the two ratios.
 */
export const measureCliStart = async ({
  node = process.execPath,
  cli = Path.join(ROOT, "packages", "cli", "dist", "main.cjs"),
  rounds = 15
} = {}) => {
  const port = await closedPort()
  const env = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("RTM_") && !k.startsWith("NODE_")) env[k] = v
  const callEnv = { ...env, RTM_ENDPOINT: `127.0.0.1:${port}`, RTM_PID: "1", RTM_SECRET: "bench-secret" }
  const runs = {
    node: () => timeProcess(node, ["-e", "0"], env, 0),
    help: () => timeProcess(node, [cli, "--help"], env, 0),
    refused: () => timeProcess(node, [cli, "count", "1"], callEnv, 1)
  }
  for (const run of Object.values(runs)) await run() // warm-up: compile cache, file cache
  const times = { node: [], help: [], refused: [] }
  for (let i = 0; i < rounds; i++) {
    for (const [name, run] of Object.entries(runs)) times[name].push(await run())
  }
  const nodeMs = median(times.node)
  const helpMs = median(times.help)
  const refusedMs = median(times.refused)
  const version = await new Promise((resolve) => {
    const p = spawn(node, ["-p", "process.version"], { stdio: ["ignore", "pipe", "ignore"] })
    let out = ""
    p.stdout.on("data", (d) => (out += d))
    p.on("exit", () => resolve(out.trim()))
  })
  return {
    node: version,
    rounds,
    nodeMs,
    helpMs,
    refusedMs,
    helpVsNode: helpMs / nodeMs,
    refusedVsNode: refusedMs / nodeMs,
    cliStartVsNode: Math.max(helpMs, refusedMs) / nodeMs
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2)
  const opt = (name) => {
    const i = argv.indexOf(name)
    return i === -1 ? undefined : argv[i + 1]
  }
  const result = await measureCliStart({
    node: opt("--node") ?? process.execPath,
    cli: opt("--cli") === undefined ? undefined : Path.resolve(opt("--cli")),
    rounds: argv.includes("--quick") ? 5 : 15
  })
  const f = (x) => x.toFixed(0)
  console.log(
    `node ${result.node}: node -e 0 ${f(result.nodeMs)} ms; rtm-voice --help ${f(result.helpMs)} ms ` +
      `(${result.helpVsNode.toFixed(2)}x); refused call ${f(result.refusedMs)} ms (${
        result.refusedVsNode.toFixed(2)
      }x); ` +
      `median of ${result.rounds}`
  )
  console.log(JSON.stringify(result))
}
