// The README is part of the product: its quick start, its SDK example and its table of
// operations are checked against the code here.
import { describe, expect, it } from "@effect/vitest"
import { renderOperationsTable } from "@rtm-voice/cli"
import { execFileSync } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const readme = readFileSync(`${root}/README.md`, "utf8")

const codeBlocks = (lang: string): Array<string> =>
  [...readme.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!)

describe("README", () => {
  it("the quick start's first code block holds exactly the two commands CI runs", () => {
    const quickStart = readme.slice(readme.indexOf("## Quick start"))
    const block = /```sh\n([\s\S]*?)```/.exec(quickStart)![1]!.trim().split("\n")
    expect(block).toHaveLength(2)
    expect(block[0]).toMatch(/pnpm@\d+\.\d+\.\d+ install && npx --yes pnpm@\d+\.\d+\.\d+ demo$/)
    expect(block[1]).toMatch(/pnpm@\d+\.\d+\.\d+ install && npx --yes pnpm@\d+\.\d+\.\d+ test$/)
    // the pinned pnpm is the one package.json declares, and CI runs the second command
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, "utf8"))
    for (const line of block) expect(line).toContain(pkg.packageManager)
    expect(readFileSync(`${root}/.ci/run`, "utf8")).toContain(block[1]!)
  })

  it("the table of operations is the one the operation table renders", () => {
    expect(readme).toContain(renderOperationsTable())
  })

  it("the SDK, Promise, production and observability snippets compile", () => {
    const markers = ["// README example:", "// README Promise example:", "Running in production:", "Observability:"]
    const files = markers.map((marker, i) => {
      const example = codeBlocks("ts").find((b) => b.includes(marker))
      expect(example, marker).toBeDefined()
      return { name: `readme-snippet-${i}.ts`, text: example! }
    })
    // the sections exist, each with its snippet
    const production = readme.slice(readme.indexOf("## Running in production"))
    expect(production.indexOf("Running in production:")).toBeGreaterThan(0)
    expect(readme.slice(readme.indexOf("## Observability")).indexOf("Observability:")).toBeGreaterThan(0)
    const dir = `${root}/test/.generated`
    mkdirSync(dir, { recursive: true })
    for (const file of files) writeFileSync(`${dir}/${file.name}`, file.text)
    writeFileSync(
      `${dir}/tsconfig.json`,
      JSON.stringify({
        extends: "../../tsconfig.base.json",
        compilerOptions: { noEmit: true },
        files: files.map((f) => f.name)
      })
    )
    const tsc = `${root}/node_modules/typescript/bin/tsc`
    let output = ""
    try {
      execFileSync(process.execPath, [tsc, "-p", `${dir}/tsconfig.json`], { encoding: "utf8" })
    } catch (e) {
      output = String((e as { stdout?: string }).stdout ?? e)
    }
    expect(output).toBe("")
  })
})
