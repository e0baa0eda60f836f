// The repository is self-contained: nothing in it reads a file outside its own tree (a
// user's clone has no sibling folders). Every path a source, test, bench or script file
// builds from its own location resolves inside the repository.
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const skip = new Set(["node_modules", "dist", ".git", ".generated", ".scratch", "fixtures"])

const filesUnder = (dir: string): Array<string> =>
  !existsSync(dir) ? [] : readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    skip.has(e.name)
      ? []
      : e.isDirectory()
      ? filesUnder(join(dir, e.name))
      : /\.(ts|mts|mjs|js|json|sh)$/.test(e.name) || e.name === "run"
      ? [join(dir, e.name)]
      : []
  )

const files = ["packages", "test", "bench", "scripts", "examples", ".ci"].flatMap((d) => filesUnder(join(root, d)))
  .concat(["package.json", "vitest.config.ts", "tsconfig.json", "tsconfig.base.json"].map((f) => join(root, f)))

describe("self-contained repository", () => {
  it("finds the files it checks", () => {
    expect(files.length).toBeGreaterThan(50)
    expect(files).toContain(join(root, "packages/test-support/src/Vectors.ts"))
  })

  it("no file names the spec folder beside the repository", () => {
    const offenders = files.filter((f) => /(\.\.\/)+shared\/|\/shared\/spec\//.test(readFileSync(f, "utf8")))
    expect(offenders.map((f) => relative(root, f))).toEqual([])
  })

  it("every path built from a module's own URL stays inside the repository", () => {
    const outside: Array<string> = []
    for (const file of files) {
      const text = readFileSync(file, "utf8")
      for (const m of text.matchAll(/new URL\(\s*["'`]([^"'`]+)["'`]\s*,\s*import\.meta\.url\s*\)/g)) {
        const target = resolve(dirname(file), m[1]!)
        if (relative(root, target).startsWith("..")) outside.push(`${relative(root, file)}: ${m[1]}`)
      }
    }
    expect(outside).toEqual([])
  })

  it("the reference vectors and key are fixtures of the repository", () => {
    const fixtures = join(root, "packages/test-support/fixtures")
    const vectors = JSON.parse(readFileSync(join(fixtures, "vectors.json"), "utf8")) as { vectors: Array<unknown> }
    expect(vectors.vectors.length).toBeGreaterThan(20)
    expect(readFileSync(join(fixtures, "server-public.pem"), "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
    expect(existsSync(join(root, "docs/PROTOCOL.md"))).toBe(true)
  })
})
