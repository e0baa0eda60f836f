import { defineConfig } from "vitest/config"
import { BaseSequencer, type TestSpecification } from "vitest/node"

// One run covers every package's own tests (packages/*/test) and the cross-package
// scenarios in test/. The "source" condition makes workspace packages resolve to their
// TypeScript sources, so tests never depend on a prior build. With VITEST_JSON set
// (CI does), totals are also written there as JSON for .ci/run to count.
const json = process.env.VITEST_JSON

/**
 * The two files that each take about a fifth of the run start first, one per worker, so
 * that neither is the tail of the run. vitest orders by the durations of the previous run,
 * which a fresh clone (CI) does not have; by size otherwise, which puts the short load test late.
 */
const LONGEST = ["test/pack.test.ts", "test/reliability/load.test.ts"]
class LongestFirst extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    const sorted = await super.sort(files)
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((name) => f.moduleId.endsWith(`/${name}`))
      return i === -1 ? LONGEST.length : i
    }
    return sorted.map((f, i) => [f, i] as const).sort(([a, i], [b, j]) => rank(a) - rank(b) || i - j).map(([f]) => f)
  }
}
export default defineConfig({
  resolve: { conditions: ["source"] },
  // Tests run in vite's SSR environment, which reads its own condition list: without
  // this, workspace packages resolve to dist/ (stale or missing) instead of src/.
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "examples/test/**/*.test.ts"],
    // Two test files at a time (vitest's default on a 2-core machine is one): most files
    // wait on sockets, timers and child processes far more than they compute, so two
    // overlap well, and more would only queue on the cores. Tests assert no wall-clock
    // budgets, so the sharing changes durations, not outcomes.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: json ? ["default", ["json", { outputFile: json }]] : ["default"]
  }
})
