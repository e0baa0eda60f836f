// Rewrites the generated sections of README.md from the code (run after `pnpm build`).
import { readFileSync, writeFileSync } from "node:fs"
import { withOperationsTable } from "../packages/cli/dist/index.js"

const path = new URL("../README.md", import.meta.url)
const readme = withOperationsTable(readFileSync(path, "utf8"))
if (readme._tag === "Failure") throw readme.failure
writeFileSync(path, readme.success)
console.log("README.md: operations table regenerated")
