#!/usr/bin/env node
/**
 * The `rtm-voice` executable. A help request (`rtm-voice --help`, `rtm-voice <command>
 * --help`) is answered from help.json, the help text `pnpm build` rendered with this very
 * CLI (its text depends only on whether colours are on), so it loads nothing else.
 *
 * An operation command line that effect's CLI would accept (OneShot.ts reads it, with the
 * table the build wrote to commands.json) is run by the one-shot call script, one bundled
 * CommonJS file with its own V8 code cache (ScriptCache.ts, Call.ts): the SDK and the
 * call, without effect's CLI. Everything else (the other commands, usage errors, the
 * version) turns on Node's module compile cache (Node >= 22.1) and runs effect's CLI (Bin.ts).
 */
import * as Module from "node:module"
import { canColor } from "./Colors.js"
import { type OneShotCall, type OneShotTable, parseOneShot } from "./OneShot.js"
import { loadScript } from "./ScriptCache.js"

/** The help.json key of a plain help request (`""` for the root), else undefined. */
const helpKey = (argv: ReadonlyArray<string>): string | undefined => {
  const isHelp = (a: string | undefined) => a === "--help" || a === "-h"
  if (argv.length === 1 && isHelp(argv[0])) return ""
  if (argv.length === 2 && isHelp(argv[1]) && /^[a-z]+$/.test(argv[0]!)) return argv[0]
  return undefined
}

const readJson = (name: string): unknown => {
  const { readFileSync } = process.getBuiltinModule("node:fs")
  return JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), "utf8"))
}

const cachedHelp = (key: string): string | undefined => {
  try {
    const help = readJson("help.json") as Record<string, unknown>
    const text = help[`${canColor() ? "color" : "plain"}:${key}`]
    return typeof text === "string" ? text : undefined
  } catch {
    return undefined // no help.json (a build without it, or sources run directly): render it live
  }
}

/** The one-shot call's script and the table it reads command lines with: dist/commands.json, written by the build. */
interface CallScript extends OneShotTable {
  /** The script's file name in dist/, and the hash of its content. */
  readonly script: string
  readonly key: string
}

/** What the call script (Call.ts) exports. */
interface CallScriptExports {
  readonly runCall: (call: OneShotCall, argv: ReadonlyArray<string>) => void
}

const callScript = (): CallScript | undefined => {
  try {
    return readJson("commands.json") as CallScript
  } catch {
    return undefined // no commands.json (sources run directly): every command goes through effect's CLI
  }
}

const argv = process.argv.slice(2)
const key = helpKey(argv)
const help = key === undefined || process.env.RTM_VOICE_LIVE_HELP !== undefined ? undefined : cachedHelp(key)
const script = help === undefined ? callScript() : undefined
const call = script === undefined ? undefined : parseOneShot(script, argv)
if (help !== undefined) {
  process.stdout.write(help)
} else if (call !== undefined) {
  // An operation command line that effect's CLI would parse without an error: called at
  // once, by the one-shot script (Call.ts), which holds no part of effect's CLI.
  const { fileURLToPath } = process.getBuiltinModule("node:url")
  const file = fileURLToPath(new URL(`./${script!.script}`, import.meta.url))
  const { runCall } = loadScript(file, script!.key) as CallScriptExports
  runCall(call, argv)
} else {
  const cache = (Module as { enableCompileCache?: () => unknown }).enableCompileCache
  if (typeof cache === "function") {
    try {
      cache()
    } catch { /* an unwritable cache directory only costs speed */ }
  }
  // No top-level await: the bundle makes this entry a CommonJS file (see bundle-bin.mjs).
  void import("./Bin.js").then(({ runMain }) => runMain(argv))
}
