// Bundles the executable after `tsc` has written dist/: dist/main.js (the entry tsc wrote)
// becomes a small file that turns on Node's compile cache and then imports one bundled
// chunk with the whole CLI (effect, the SDK, msgpackr inlined, tree-shaken, minified);
// the emulator, the demo and the operation runner are further chunks, loaded only by the
// commands that need them. The chunks sit beside main.js in dist/, so `../package.json`
// (the CLI's version) resolves from them as it does from dist/version.js; they are .mjs
// (ES modules whatever the package type), which also tells them apart from tsc's output.
// Then help.json: the help text of the root and of every command, rendered by this CLI
// (tsc's dist/Bin.js, in this process), plain and coloured; main.js answers a help
// request from it without loading the CLI. A test checks it against a live rendering.
// No runtime dependency is resolved from node_modules by the bin; the library entry
// (dist/index.js) is tsc's output and imports its dependencies as usual.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "rolldown"

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..")
const dist = join(pkg, "dist")
if (!readFileSync(join(dist, "main.js"), "utf8").includes(`import("./Bin.js")`)) {
  throw new Error("dist/main.js is not tsc's output (already bundled?): run `pnpm build`, which runs tsc first")
}
for (const f of readdirSync(dist)) if (f.startsWith("bin-") || f === "help.json") rmSync(join(dist, f))

// msgpackr as the transport resolves it, but its plain entry (index.js: Packr and Unpackr)
// instead of its Node entry, which also loads its stream classes (node:stream) and tries
// to load the optional native extractor (msgpackr-extract, which probes the C library with
// child_process). A CLI that makes one call gains nothing from either.
const transport = createRequire(join(pkg, "package.json")).resolve("@rtm-voice/fpnn-transport")
const msgpackrNode = createRequire(transport).resolve("msgpackr")
const msgpackrPlain = join(dirname(msgpackrNode), "index.js")

await build({
  input: { main: join(dist, "main.js") },
  platform: "node",
  cwd: pkg,
  logLevel: "warn",
  treeshake: true,
  resolve: { alias: { msgpackr: msgpackrPlain } },
  output: {
    dir: dist,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "bin-[name]-[hash].mjs",
    minify: process.env.RTM_VOICE_BUNDLE_DEBUG === undefined,
    sourcemap: false
  }
})

// ---- help.json
const load = (file) => import(pathToFileURL(join(dist, file)).href)
const [{ run }, { cliServices }, { commandNames }, { Effect }, { TestConsole }] = await Promise.all([
  load("Bin.js"),
  load("Services.js"),
  load("Commands.js"),
  import("effect"),
  import("effect/testing")
])
const render = async (argv, color) => {
  for (const k of ["NO_COLOR", "FORCE_COLOR", "TERM"]) delete process.env[k]
  process.env[color ? "FORCE_COLOR" : "NO_COLOR"] = "1"
  return Effect.runPromise(
    Effect.gen(function*() {
      const code = yield* run(argv)
      const lines = yield* TestConsole.logLines
      return { code, text: lines.map((l) => `${Array.isArray(l) ? l.join(" ") : String(l)}\n`).join("") }
    }).pipe(Effect.provide([cliServices, TestConsole.layer]))
  )
}
const environment = { ...process.env }
const help = {}
for (const key of ["", ...commandNames.map(([name]) => name), "emulator", "demo", "keygen"]) {
  for (const color of [false, true]) {
    const { code, text } = await render(key === "" ? ["--help"] : [key, "--help"], color)
    if (code !== 0 || text === "") throw new Error(`rtm-voice ${key} --help: exit ${code}`)
    help[`${color ? "color" : "plain"}:${key}`] = text
  }
}
process.env = environment
writeFileSync(join(dist, "help.json"), JSON.stringify(help))
