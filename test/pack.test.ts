/**
 * The packages are publishable: their package.json has what a registry and a consumer
 * need, each has a README, and the tarballs `pnpm pack` makes (workspace:* replaced by
 * versions) install with npm into a fresh project outside the repository, where the SDK
 * and the emulator run from plain Node and `npx rtm-voice` works.
 *
 * Needs the npm registry (effect and its dependencies are downloaded): slow, hence the
 * long timeouts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { ensureBuilt, packageDirs, repoRoot } from "../packages/cli/test/helpers.js"

interface PackageJson {
  name: string
  version: string
  description?: string
  license?: string
  type?: string
  files?: Array<string>
  main?: string
  types?: string
  bin?: Record<string, string>
  exports?: Record<string, Record<string, string>>
  dependencies?: Record<string, string>
  scripts?: Record<string, string>
}

const readJson = <A>(path: string): A => JSON.parse(readFileSync(path, "utf8")) as A
const manifests = packageDirs.map((dir) => ({ dir, pkg: readJson<PackageJson>(join(dir, "package.json")) }))

/** No npm_* variables from a surrounding `pnpm test` reach the npm we run. */
const npmEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && !k.startsWith("RTM_")) env[k] = v
  return { ...env, NO_COLOR: "1", npm_config_update_notifier: "false" }
}

const run = (file: string, args: ReadonlyArray<string>, cwd: string, timeout = 120_000) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(file, args, { cwd, env: npmEnv(), timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    })
  })

const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => {
  expect(r.code, `${what}\n${r.stdout}\n${r.stderr}`).toBe(0)
  return r.stdout
}

describe("package metadata", () => {
  it.each(manifests.map((m) => [relative(repoRoot, m.dir), m] as const))("%s has what publishing needs", (_, { dir, pkg }) => {
    expect(pkg.name).toMatch(/^@rtm-voice\/[a-z-]+$/)
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(pkg.description?.length ?? 0).toBeGreaterThan(20)
    expect(pkg.license).toBe("MIT")
    expect(pkg.type).toBe("module")
    expect(pkg.files).toEqual(expect.arrayContaining(["dist", "README.md"]))
    const root = pkg.exports?.["."]
    expect(root, "exports['.']").toBeDefined()
    expect(root!.types).toMatch(/^\.\/dist\/.+\.d\.ts$/)
    expect(root!.default ?? root!.import).toMatch(/^\.\/dist\/.+\.js$/)
    // types is listed before default: TypeScript takes the first matching condition
    const keys = Object.keys(root!)
    expect(keys.indexOf("types")).toBeLessThan(keys.indexOf(root!.default !== undefined ? "default" : "import"))
    expect(pkg.scripts?.build).toBeDefined()
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      if (name.startsWith("@rtm-voice/")) expect(range, name).toBe("workspace:*")
    }
    const readme = join(dir, "README.md")
    expect(existsSync(readme), `${readme} exists`).toBe(true)
    expect(readFileSync(readme, "utf8")).toMatch(new RegExp(`^# ${pkg.name.replace("/", "\\/")}`))
  })

  it("the CLI has a bin rtm-voice pointing at an executable script", () => {
    const cli = manifests.find((m) => m.pkg.name === "@rtm-voice/cli")!
    expect(cli.pkg.bin).toEqual({ "rtm-voice": "./dist/main.js" })
    expect(readFileSync(join(cli.dir, "src/main.ts"), "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true)
  })
})

describe("packed tarballs in a fresh project", () => {
  let work: string
  const tarballs = new Map<string, string>()

  beforeAll(async () => {
    await ensureBuilt()
    work = mkdtempSync(join(tmpdir(), "rtm-voice-pack-"))
    mkdirSync(join(work, "tarballs"))
    for (const { dir, pkg } of manifests) {
      const r = await run("npx", ["pnpm@12.4.2", "pack", "--pack-destination", join(work, "tarballs")], dir)
      const out = ok(r, `pnpm pack in ${dir}`)
      const file = join(work, "tarballs", `${pkg.name.slice(1).replace("/", "-")}-${pkg.version}.tgz`)
      expect(existsSync(file), `${file}\n${out}`).toBe(true)
      tarballs.set(pkg.name, file)
    }
  }, 240_000)

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true })
  })

  it("each tarball has its README, dist with types, and versions instead of workspace:*", async () => {
    for (const { pkg } of manifests) {
      const tgz = tarballs.get(pkg.name)!
      const list = ok(await run("tar", ["tzf", tgz], work), `tar tzf ${tgz}`).split("\n").map((l) => l.replace(/^package\//, ""))
      expect(list, pkg.name).toEqual(expect.arrayContaining(["package.json", "README.md", "dist/index.js", "dist/index.d.ts"]))
      expect(list.filter((f) => /(^|\/)test\/|\.test\./.test(f)), pkg.name).toEqual([])
      // no stale output: every dist module has its source (a deleted source leaves dist/X.js behind)
      const stale = list.filter((f) => /^dist\/.+\.js$/.test(f) && !list.includes(f.replace(/^dist\//, "src/").replace(/\.js$/, ".ts")))
      expect(stale, pkg.name).toEqual([])
      if (pkg.bin !== undefined) for (const bin of Object.values(pkg.bin)) expect(list).toContain(bin.replace(/^\.\//, ""))
      const packed = JSON.parse(ok(await run("tar", ["xzOf", tgz, "package/package.json"], work), "tar x")) as PackageJson
      expect(JSON.stringify(packed.dependencies ?? {}), pkg.name).not.toContain("workspace:")
      for (const [name, range] of Object.entries(packed.dependencies ?? {})) {
        if (name.startsWith("@rtm-voice/")) expect(range, `${pkg.name} → ${name}`).toBe(pkg.version)
      }
    }
  }, 60_000)

  it("install with npm; the SDK and the emulator run from a plain .mjs; npx rtm-voice works", async () => {
    const project = join(work, "consumer")
    mkdirSync(project)
    const deps = Object.fromEntries([...tarballs].map(([name, file]) => [name, `file:${file}`]))
    writeFileSync(
      join(project, "package.json"),
      // overrides: the packages' own dependencies on each other (0.1.0) resolve to the
      // tarballs too, never to the registry
      JSON.stringify({ name: "rtm-voice-consumer", private: true, type: "module", dependencies: deps, overrides: deps }, null, 2)
    )
    ok(await run("npm", ["install", "--no-audit", "--no-fund"], project, 200_000), "npm install")
    for (const { pkg } of manifests) {
      const installed = join(project, "node_modules", pkg.name)
      const manifest = readJson<PackageJson>(join(installed, "package.json"))
      expect(manifest.version).toBe(pkg.version)
      expect(existsSync(join(installed, manifest.exports!["."]!.types!)), `${pkg.name} types`).toBe(true)
    }
    // One copy of each @rtm-voice package: nothing came from the registry under that scope.
    const lock = readFileSync(join(project, "package-lock.json"), "utf8")
    expect(lock).not.toMatch(/registry\.npmjs\.org\/@rtm-voice/)

    writeFileSync(
      join(project, "smoke.mjs"),
      `import { VoiceRoomClient, makeVoiceRoomClient } from "@rtm-voice/voice-room"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { makeClient } from "@rtm-voice/fpnn-transport"
import { Effect, Redacted } from "effect"

const secret = Redacted.make("pack-smoke-secret")
const room = 9007199254740993n
const program = Effect.gen(function* () {
  const emulator = yield* makeEmulator({ pid: 1234, secret })
  // through the layer
  const count = yield* Effect.gen(function* () {
    const client = yield* VoiceRoomClient
    yield* client.pullUserIntoVoiceRoom(room, [1n, 9223372036854775807n])
    return yield* client.getVoiceRoomMemberCount(room)
  }).pipe(Effect.provide(VoiceRoomClient.layer({ endpoint: emulator.address, pid: 1234, secret })))
  // and with makeVoiceRoomClient on a transport of our own
  const transport = yield* makeClient({ endpoint: emulator.address })
  const client = yield* makeVoiceRoomClient(transport, { pid: 1234, secret, dialect: "rtc" })
  const members = yield* client.getVoiceRoomMembers(room)
  console.log("count " + count)
  console.log("members " + members.uids.join(","))
}).pipe(Effect.scoped)

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => { console.error(String(error)); process.exit(1) }
)
`
    )
    const smoke = ok(await run(process.execPath, ["smoke.mjs"], project, 30_000), "node smoke.mjs")
    expect(smoke).toBe("count 2\nmembers 1,9223372036854775807\n")

    const help = ok(await run("npx", ["--no-install", "rtm-voice", "--help"], project, 30_000), "npx rtm-voice --help")
    for (const name of ["rooms", "members", "count", "pull", "invite", "kick", "close", "mic", "admin", "emulator", "demo", "keygen"]) {
      expect(help).toMatch(new RegExp(`^  ${name} `, "m"))
    }
    const demo = ok(await run("npx", ["--no-install", "rtm-voice", "demo"], project, 30_000), "npx rtm-voice demo")
    expect(demo).toMatch(/All 9 operations ran/)
  }, 240_000)
})
