// Bundles the executable after `tsc` has written dist/: dist/main.cjs (the entry tsc wrote)
// becomes a small file that answers help from help.json and reads an operation command
// line with the table in commands.json (OneShot.ts). Such a call runs in one CommonJS
// script, dist/bin-call-<hash>.cjs: the SDK and the call (effect, msgpackr inlined,
// tree-shaken, minified), none of effect's CLI. Everything else imports the bundled ES
// chunks of the whole CLI, with the emulator, the demo, key generation and the operation
// runner as further chunks, loaded only by the commands that need them. The chunks sit
// beside main.cjs in dist/, so `../package.json` (the CLI's version) resolves from them as
// it does from dist/version.js; they are .mjs (ES modules whatever the package type),
// which also tells them apart from tsc's output.
// Then help.json: the help text of the root and of every command, rendered by this CLI
// (tsc's dist/Bin.js, in this process), plain and coloured; main.cjs answers a help
// request from it without loading the CLI. Tests check it, and commands.json, against the
// live CLI. No runtime dependency is resolved from node_modules by the bin; the library
// entry (dist/index.js) is tsc's output and imports its dependencies as usual.
import { createHash } from "node:crypto"
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "rolldown"

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..")
const dist = join(pkg, "dist")
if (!readFileSync(join(dist, "main.js"), "utf8").includes(`import("./Bin.js")`)) {
  throw new Error("dist/main.cjs is not tsc's output (already bundled?): run `pnpm build`, which runs tsc first")
}
const generated = (f) => f.startsWith("bin-") || f === "main.cjs" || f === "help.json" || f === "commands.json"
for (const f of readdirSync(dist)) if (generated(f)) rmSync(join(dist, f))

// msgpackr as the transport resolves it, but its plain entry (index.js: Packr and Unpackr)
// instead of its Node entry, which also loads its stream classes (node:stream) and tries
// to load the optional native extractor (msgpackr-extract, which probes the C library with
// child_process). A CLI that makes one call gains nothing from either.
const transport = createRequire(join(pkg, "package.json")).resolve("@rtm-voice/fpnn-transport")
const msgpackrNode = createRequire(transport).resolve("msgpackr")
const msgpackrPlain = join(dirname(msgpackrNode), "index.js")

// Node built-ins that a refused call must not pay for, imported lazily: node:tls (only a TLS
// endpoint needs it; effect's NodeSocket imports it for every connection), node:crypto (MD5
// signing and encryption load it on first use, not when the module is evaluated), node:os
// and node:fs (an ES module namespace of a built-in reads every export, so `import * as fs`
// loaded fs.promises, readline and streams, and crypto's webcrypto). Each becomes a virtual
// module with the built-in's exports, proxies that load it (process.getBuiltinModule) on
// first use: a function's proxy forwards calls, `new` and property reads (fs.realpath.native),
// an object's its property reads. Primitive exports are left out (a build that needs one fails: missing export).
const LAZY_BUILTINS = new Set(["crypto", "fs", "os", "tls"])
const lazyBuiltins = {
  name: "rtm-voice-lazy-builtins",
  resolveId(id) {
    const name = id.startsWith("node:") ? id.slice(5) : id
    return LAZY_BUILTINS.has(name) ? { id: `\0lazy-builtin:${name}`, moduleSideEffects: false } : undefined
  },
  load(id) {
    if (!id.startsWith("\0lazy-builtin:")) return undefined
    const name = id.slice("\0lazy-builtin:".length)
    const mod = createRequire(import.meta.url)(`node:${name}`)
    const lines = [
      `let m; const $ = () => m ??= process.getBuiltinModule("node:${name}");`,
      "const obj = (f) => new Proxy({}, { get: (_, k) => Reflect.get(f(), k), has: (_, k) => k in f(), ownKeys: () => Reflect.ownKeys(f()), getOwnPropertyDescriptor: (_, k) => { const d = Reflect.getOwnPropertyDescriptor(f(), k); if (d) d.configurable = true; return d } });",
      "const cls = (f) => { const p = new Proxy(function() {}, { get: (_, k) => Reflect.get(f(), k), has: (_, k) => k in f(), apply: (_, t, a) => Reflect.apply(f(), t, a), construct: (_, a, nt) => Reflect.construct(f(), a, nt === p ? f() : nt) }); return p };",
      "export default /*@__PURE__*/ obj($);"
    ]
    for (const key of Object.keys(mod)) {
      if (!/^[A-Za-z_$][\w$]*$/.test(key)) continue
      const v = Object.getOwnPropertyDescriptor(mod, key)?.get !== undefined ? {} : mod[key]
      if (typeof v === "function") {
        lines.push(`export const ${key} = /*@__PURE__*/ cls(() => $().${key});`)
      } else if (typeof v === "object" && v !== null) {
        lines.push(`export const ${key} = /*@__PURE__*/ obj(() => $().${key});`)
      }
    }
    return { code: lines.join("\n"), moduleSideEffects: false }
  }
}

const common = {
  platform: "node",
  cwd: pkg,
  logLevel: "warn",
  treeshake: true,
  resolve: { alias: { msgpackr: msgpackrPlain } },
  plugins: [lazyBuiltins]
}
const minify = process.env.RTM_VOICE_BUNDLE_DEBUG === undefined

// ---- effect's CLI: Bin.js as bin-Bin-<hash>.mjs and its chunks, imported by main.cjs for
// everything that is neither a help request nor a one-shot call.
const { output: cliChunks } = await build({
  ...common,
  input: { Bin: join(dist, "Bin.js") },
  output: {
    dir: dist,
    format: "esm",
    entryFileNames: "bin-[name]-[hash].mjs",
    chunkFileNames: "bin-[name]-[hash].mjs",
    minify,
    sourcemap: false
  }
})
const binEntry = cliChunks.find((c) => c.type === "chunk" && c.isEntry).fileName

// ---- main.cjs: one CommonJS file that loads nothing else on its own paths (help, the one-shot
// call): its own copies of the few small modules it shares with effect's CLI, and effect's
// CLI behind a dynamic import of bin-Bin-<hash>.mjs. On Node 20 an ES-module entry starts the
// ES module loader, and every module it imports is one more asynchronous read and link
// before anything runs (bench/cli-start.mjs, Node 20, refused call: an ES entry importing two
// shared chunks, then one ES entry importing none, then this CommonJS entry, 2.40 → 2.29×
// `node -e 0`). tsc's dist/main.js is removed once bundled: the bin is main.cjs.
await build({
  ...common,
  input: { main: join(dist, "main.js") },
  plugins: [...common.plugins, {
    name: "rtm-voice-bin-entry",
    resolveId(id, importer) {
      if (id === "./Bin.js" && importer === join(dist, "main.js")) return { id: join(dist, binEntry), external: true }
      return undefined
    }
  }],
  output: { dir: dist, format: "cjs", entryFileNames: "[name].cjs", codeSplitting: false, minify, sourcemap: false }
})

// ---- the one-shot call script: Call.ts and all it runs in one CommonJS file (no chunks, no
// dynamic import), which main.cjs compiles with its own V8 code cache (ScriptCache.ts). Its
// name carries the hash of its content, which keys that cache. The one `import.meta` of its
// modules (effect's ConfigProvider reads `import.meta?.env`, which Node leaves undefined)
// becomes `{}`; any other would be an error. The file holds the script already inside
// Node's CommonJS wrapper, and only ASCII (other characters escaped): V8 gets the text as
// read, a one-byte string, instead of a two-byte copy joined to the wrapper (in a loop of
// 25 fresh processes on Node 20: reading and compiling it with its cache 5.3 → 3.9 ms).
const { output: [callChunk] } = await build({
  ...common,
  input: join(dist, "Call.js"),
  write: false,
  onLog(level, log, handler) {
    if (log.code === "EMPTY_IMPORT_META" && /effect[\\/]dist[\\/]ConfigProvider\.js$/.test(log.id ?? "")) return
    handler(log.code === "EMPTY_IMPORT_META" ? "error" : level, log)
  },
  output: { format: "cjs", codeSplitting: false, charset: "ascii", minify, sourcemap: false }
})
// (A debug build keeps the comments, which charset leaves as they are.)
if (minify && /[^\x20-\x7e\t\n\r]/.test(callChunk.code)) {
  throw new Error("the call script is not ASCII (a tagged template?)")
}
const { SCRIPT_WRAPPER } = await import(pathToFileURL(join(dist, "ScriptCache.js")).href)
const callCode = `${SCRIPT_WRAPPER[0]}${callChunk.code}${SCRIPT_WRAPPER[1]}`
const callKey = createHash("sha256").update(callCode).digest("hex").slice(0, 16)
const callScript = `bin-call-${callKey}.cjs`
writeFileSync(join(dist, callScript), callCode)

// ---- help.json
const load = (file) => import(pathToFileURL(join(dist, file)).href)
const [{ run }, { cliServices }, { commandNames, oneShotTable }, { Effect }, { TestConsole }] = await Promise.all([
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

// ---- commands.json: the table main.cjs reads operation command lines with (OneShot.ts), and
// the call script that runs them.
writeFileSync(join(dist, "commands.json"), JSON.stringify({ script: callScript, key: callKey, ...oneShotTable() }))

// ---- the bin is main.cjs: tsc's unbundled entry goes, so nothing runs the slow one by mistake.
for (const f of ["main.js", "main.js.map", "main.d.ts", "main.d.ts.map"]) rmSync(join(dist, f), { force: true })
