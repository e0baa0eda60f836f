// The README's "Testing your service" example is a real test file of the suite
// (test/testing-your-service.test.ts): the README must quote it verbatim.
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

describe("README: Testing your service", () => {
  it("quotes test/testing-your-service.test.ts exactly, in its own section", () => {
    const readme = readFileSync(`${root}/README.md`, "utf8")
    const example = readFileSync(`${root}/test/testing-your-service.test.ts`, "utf8")
    const start = readme.indexOf("## Testing your service")
    expect(start).toBeGreaterThan(-1)
    const section = readme.slice(start, readme.indexOf("\n## ", start + 1))
    expect(section).toContain("```ts\n" + example + "```")
    // the example uses the test layer, a fault, seeding, TestClock and the mock
    for (const used of ["layerClient", "setFaults", "seed(", "TestClock.adjust", "layerMock"]) {
      expect(example).toContain(used)
    }
  })
})
