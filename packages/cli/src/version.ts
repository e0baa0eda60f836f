/**
 * The CLI's version, read from its own package.json (one directory up from this module, in
 * src/ and in dist/ alike, and in the bundled bin, whose chunks sit in dist/).
 *
 * node:fs comes from process.getBuiltinModule: its ES module namespace would also load
 * fs/promises (and with it readline and the stream classes) on every start.
 */
const { readFileSync } = process.getBuiltinModule("node:fs")

export const VERSION: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string
}).version
