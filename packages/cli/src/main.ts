#!/usr/bin/env node
/**
 * The `rtm-voice` executable. A help request (`rtm-voice --help`, `rtm-voice <command>
 * --help`) is answered from help.json, the help text `pnpm build` rendered with this very
 * CLI (its text depends only on whether colours are on), so it loads nothing else.
 * Everything else turns on Node's module compile cache (Node >= 22.1; on Node 20 there is
 * none) before loading the CLI, so that later starts reuse its compiled code, then runs an
 * operation command at once (OneShot.ts, Call.ts) or anything else through effect's CLI
 * (Bin.ts).
 */
import * as Module from "node:module"
import { canColor } from "./Colors.js"

/** The help.json key of a plain help request (`""` for the root), else undefined. */
const helpKey = (argv: ReadonlyArray<string>): string | undefined => {
  const isHelp = (a: string | undefined) => a === "--help" || a === "-h"
  if (argv.length === 1 && isHelp(argv[0])) return ""
  if (argv.length === 2 && isHelp(argv[1]) && /^[a-z]+$/.test(argv[0]!)) return argv[0]
  return undefined
}

const cachedHelp = (key: string): string | undefined => {
  try {
    const { readFileSync } = process.getBuiltinModule("node:fs")
    const help = JSON.parse(readFileSync(new URL("./help.json", import.meta.url), "utf8")) as Record<string, unknown>
    const text = help[`${canColor() ? "color" : "plain"}:${key}`]
    return typeof text === "string" ? text : undefined
  } catch {
    return undefined // no help.json (a build without it, or sources run directly): render it live
  }
}

/** The commands that are not operations (so need not load the operation table to be told apart). */
const NOT_OPERATIONS: ReadonlySet<string> = new Set(["emulator", "demo", "keygen"])

const argv = process.argv.slice(2)
const key = helpKey(argv)
const help = key === undefined || process.env.RTM_VOICE_LIVE_HELP !== undefined ? undefined : cachedHelp(key)
if (help !== undefined) {
  process.stdout.write(help)
} else {
  const cache = (Module as { enableCompileCache?: () => unknown }).enableCompileCache
  if (typeof cache === "function") {
    try {
      cache()
    } catch { /* an unwritable cache directory only costs speed */ }
  }
  // An operation command line that effect's CLI would parse without an error is called
  // at once (OneShot.ts, Call.ts); everything else goes through effect's CLI (Bin.ts).
  const first = argv[0]
  const oneShot = first === undefined || first.startsWith("-") || NOT_OPERATIONS.has(first)
    ? undefined
    : (await import("./OneShot.js")).parseOneShot(argv)
  if (oneShot !== undefined) {
    const { runCall } = await import("./Call.js")
    runCall(oneShot, argv)
  } else {
    const { runMain } = await import("./Bin.js")
    runMain(argv)
  }
}
