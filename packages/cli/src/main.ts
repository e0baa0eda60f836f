#!/usr/bin/env node
/**
 * The `rtm-voice` executable. It turns on Node's module compile cache (Node >= 22.1; on
 * Node 20 there is none) before loading anything else, so that later starts reuse the
 * compiled code of the CLI, then loads and runs it (Bin.ts).
 */
import * as Module from "node:module"

const cache = (Module as { enableCompileCache?: () => unknown }).enableCompileCache
if (typeof cache === "function") {
  try {
    cache()
  } catch { /* an unwritable cache directory only costs speed */ }
}
const { runMain } = await import("./Bin.js")
runMain(process.argv.slice(2))
