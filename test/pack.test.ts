/**
 * The packages install the way a user installs them. Every package is packed with
 * `pnpm pack` (workspace:* replaced by versions, `publishConfig` applied); a fresh app in
 * a temporary directory (npm, `"type": "module"`, strict TypeScript with
 * `moduleResolution: "nodenext"`) installs `effect` first and then the tarballs:
 *
 * - node_modules holds exactly one copy of `effect` (the packages declare it as a peer);
 * - the README example typechecks in that app and runs against an emulator started from
 *   the installed CLI; the SDK, the emulator and `rtm-voice` also run from plain `.mjs`;
 * - beside an incompatible `effect`, npm refuses with its peer-dependency error (ERESOLVE)
 *   instead of installing a second copy.
 *
 * It prints the app's install size and package count (recorded in the README).
 * Needs the npm registry (effect and its dependencies are downloaded; npm prefers its cache
 * over revalidating what it already holds): slow, hence the long timeouts. The work that
 * does not depend on other work runs at once: the four packs, the second app's install
 * of its old effect, the three smoke runs.
 */
import { ensureBuilt, packageDirs, repoRoot } from "@rtm-voice/test-support"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

type Conditions = Record<string, string>
interface PackageJson {
  name: string
  version: string
  description?: string
  license?: string
  type?: string
  private?: boolean
  files?: Array<string>
  main?: string
  types?: string
  sideEffects?: boolean | Array<string>
  bin?: Record<string, string>
  exports?: Record<string, Conditions | string>
  publishConfig?: { exports?: Record<string, Conditions | string> }
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  repository?: { url?: string; directory?: string }
  homepage?: string
  bugs?: { url?: string }
  keywords?: Array<string>
  engines?: { node?: string }
  scripts?: Record<string, string>
}

const readJson = <A>(path: string): A => JSON.parse(readFileSync(path, "utf8")) as A
const manifests = packageDirs.map((dir) => ({ dir, pkg: readJson<PackageJson>(join(dir, "package.json")) }))
const rootPkg = readJson<PackageJson>(join(repoRoot, "package.json"))
/** The effect the workspace builds and tests with. */
const effectVersion = rootPkg.devDependencies!["effect"]!

/** No npm_* variables from a surrounding `pnpm test` reach the npm we run. */
const npmEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && !k.startsWith("RTM_")) env[k] = v
  const quiet = {
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    npm_config_prefer_offline: "true"
  }
  return { ...env, NO_COLOR: "1", ...quiet }
}

interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}
const run = (file: string, args: ReadonlyArray<string>, cwd: string, timeout = 120_000) =>
  new Promise<Ran>((done) => {
    execFile(file, args, { cwd, env: npmEnv(), timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    })
  })

const ok = (r: Ran, what: string) => {
  expect(r.code, `${what}\n${r.stdout}\n${r.stderr}`).toBe(0)
  return r.stdout
}

/** Every installed copy of a package (its node_modules/<name> directories, nested ones included). */
const copiesOf = (root: string, name: string): Array<string> => {
  const found: Array<string> = []
  const walk = (nodeModules: string) => {
    if (!existsSync(nodeModules)) return
    for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === ".bin") continue
      const dirs = entry.name.startsWith("@")
        ? readdirSync(join(nodeModules, entry.name))
          .map((n) => [`${entry.name}/${n}`, join(nodeModules, entry.name, n)])
        : [[entry.name, join(nodeModules, entry.name)]]
      for (const [pkgName, dir] of dirs as Array<[string, string]>) {
        if (pkgName === name) found.push(dir)
        walk(join(dir, "node_modules"))
      }
    }
  }
  walk(join(root, "node_modules"))
  return found
}

/** Bytes on disk under a directory. */
const diskUsageKb = async (dir: string): Promise<number> =>
  Number((await run("du", ["-sk", dir], dir)).stdout.split("\t")[0])

const allConditions = (exports: PackageJson["exports"]): Array<string> =>
  Object.values(exports ?? {}).flatMap((v) => (typeof v === "string" ? [] : Object.keys(v)))

/** The README's SDK example (the block marked "README example"). */
const readmeExample = (): string => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8")
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
  const example = blocks.find((b) => b.includes("README example:"))
  if (example === undefined) throw new Error("no README example in README.md")
  return example
}

describe("package metadata", () => {
  const cases = manifests.map((m) => [relative(repoRoot, m.dir), m] as const)
  it.each(cases)("%s has what publishing needs", (_, { dir, pkg }) => {
    expect(pkg.name).toMatch(/^@rtm-voice\/[a-z-]+$/)
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(pkg.description?.length ?? 0).toBeGreaterThan(20)
    expect(pkg.license).toBe("MIT")
    expect(pkg.type).toBe("module")
    expect(pkg.files).toEqual(expect.arrayContaining(["dist", "README.md", "LICENSE", "CHANGELOG.md"]))
    expect(pkg.files, "sources are not published").not.toContain("src")
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\/.+\.git$/)
    expect(pkg.repository?.directory).toBe(relative(repoRoot, dir))
    expect(pkg.homepage).toMatch(/^https:\/\//)
    expect(pkg.bugs?.url).toMatch(/^https:\/\/.+\/issues$/)
    expect(pkg.keywords).toEqual(expect.arrayContaining(["effect"]))
    // CI tests Node 20 (.ci/run's machine) and 24; engines allow both
    expect(pkg.engines?.node).toBe(rootPkg.engines?.node)
    expect(Array.isArray(pkg.sideEffects) || pkg.sideEffects === false).toBe(true)
    const root = pkg.exports?.["."] as Conditions | undefined
    expect(root, "exports['.']").toBeDefined()
    expect(root!.types).toMatch(/^\.\/dist\/.+\.d\.ts$/)
    expect(root!.default ?? root!.import).toMatch(/^\.\/dist\/.+\.js$/)
    // types is listed before default: TypeScript takes the first matching condition
    const keys = Object.keys(root!)
    expect(keys.indexOf("types")).toBeLessThan(keys.indexOf(root!.default !== undefined ? "default" : "import"))
    // what is published: the same entry points without the workspace's `source` condition
    const published = pkg.publishConfig?.exports
    expect(Object.keys(published ?? {})).toEqual(Object.keys(pkg.exports ?? {}))
    expect(allConditions(published)).not.toContain("source")
    expect(pkg.scripts?.build).toBeDefined()
    // effect is the app's: a peer with the range we support, a devDependency for the workspace
    expect(pkg.dependencies?.["effect"], "effect is not a dependency").toBeUndefined()
    expect(pkg.dependencies?.["@effect/platform-node"], "@effect/platform-node is not a dependency").toBeUndefined()
    expect(pkg.peerDependencies?.["effect"]).toBe(`^${effectVersion}`)
    expect(pkg.devDependencies?.["effect"]).toBe(effectVersion)
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      if (name.startsWith("@rtm-voice/")) expect(range, name).toBe("workspace:*")
    }
    for (const file of ["README.md", "LICENSE", "CHANGELOG.md"]) {
      expect(existsSync(join(dir, file)), `${dir}/${file}`).toBe(true)
    }
    expect(readFileSync(join(dir, "README.md"), "utf8")).toMatch(new RegExp(`^# ${pkg.name.replace("/", "\\/")}`))
    expect(readFileSync(join(dir, "LICENSE"), "utf8")).toMatch(/^MIT License/)
    expect(readFileSync(join(dir, "CHANGELOG.md"), "utf8")).toMatch(new RegExp(`^# ${pkg.name.replace("/", "\\/")}\\n`))
  })

  it("the transport declares @effect/platform-node as a peer; msgpackr stays a dependency", () => {
    const transport = manifests.find((m) => m.pkg.name === "@rtm-voice/fpnn-transport")!.pkg
    expect(transport.peerDependencies?.["@effect/platform-node"]).toBe(`^${effectVersion}`)
    expect(transport.dependencies?.["msgpackr"]).toBeDefined()
  })

  it("changesets are set up for the published packages", () => {
    const config = readJson<{ access?: string; baseBranch?: string }>(join(repoRoot, ".changeset/config.json"))
    expect(config.access).toBe("public")
    expect(rootPkg.devDependencies?.["@changesets/cli"]).toBeDefined()
    expect(existsSync(join(repoRoot, "LICENSE"))).toBe(true)
  })

  it("the CLI has a bin rtm-voice pointing at an executable script", () => {
    const cli = manifests.find((m) => m.pkg.name === "@rtm-voice/cli")!
    expect(cli.pkg.bin).toEqual({ "rtm-voice": "./dist/main.cjs" })
    expect(readFileSync(join(cli.dir, "src/main.ts"), "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true)
  })
})

describe("packed tarballs, installed as a user installs", () => {
  let work: string
  let app: string
  let emulator: ChildProcess | undefined
  const tarballs = new Map<string, string>()
  /** The app beside an incompatible effect (the last test), installed while the others run. */
  let oldApp: Promise<string>

  /**
   * A fresh npm app: `"type": "module"`, effect installed first (with Node's types as a
   * devDependency, as any TypeScript app on Node has them, when `withNodeTypes`).
   */
  const freshApp = async (name: string, effect: string, withNodeTypes = false): Promise<string> => {
    const dir = join(work, name)
    mkdirSync(dir)
    const manifest = {
      name,
      version: "1.0.0",
      private: true,
      type: "module",
      ...(withNodeTypes ? { devDependencies: { "@types/node": "^24" } } : {})
    }
    writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2))
    ok(await run("npm", ["install", "--save-exact", `effect@${effect}`], dir, 200_000), `npm install effect@${effect}`)
    return dir
  }

  beforeAll(async () => {
    await ensureBuilt()
    work = mkdtempSync(join(tmpdir(), "rtm-voice-pack-"))
    mkdirSync(join(work, "tarballs"))
    oldApp = freshApp("rtm-voice-old-effect", "4.0.6")
    oldApp.catch(() => {}) // awaited (and reported) by its test
    await Promise.all(manifests.map(async ({ dir, pkg }) => {
      const r = await run("npx", ["pnpm@12.4.2", "pack", "--pack-destination", join(work, "tarballs")], dir)
      const out = ok(r, `pnpm pack in ${dir}`)
      const file = join(work, "tarballs", `${pkg.name.slice(1).replace("/", "-")}-${pkg.version}.tgz`)
      expect(existsSync(file), `${file}\n${out}`).toBe(true)
      tarballs.set(pkg.name, file)
    }))
  }, 240_000)

  /** The tarballs in the packages' order (the packs finish in any order). */
  const tarballBy = (ms: typeof manifests) => ms.map(({ pkg }) => tarballs.get(pkg.name)!)

  afterAll(() => {
    emulator?.kill("SIGKILL")
    if (work !== undefined) rmSync(work, { recursive: true, force: true })
  })

  it("each tarball has README, LICENSE, CHANGELOG and dist with types; no src/, no source condition", async () => {
    for (const { dir, pkg } of manifests) {
      const tgz = tarballs.get(pkg.name)!
      const list = ok(await run("tar", ["tzf", tgz], work), `tar tzf ${tgz}`).split("\n").filter((l) => l !== "")
        .map((l) => l.replace(/^package\//, ""))
      expect(list, pkg.name).toEqual(
        expect.arrayContaining(
          ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "dist/index.js", "dist/index.d.ts"]
        )
      )
      expect(list.filter((f) => f.startsWith("src/")), pkg.name).toEqual([])
      expect(list.filter((f) => /(^|\/)test\/|\.test\./.test(f)), pkg.name).toEqual([])
      // no stale output: every dist module has its source in the repository
      const stale = list.filter((f) => /^dist\/.+\.js$/.test(f))
        .filter((f) => !existsSync(join(dir, f.replace(/^dist\//, "src/").replace(/\.js$/, ".ts"))))
      expect(stale, pkg.name).toEqual([])
      for (const bin of Object.values(pkg.bin ?? {})) expect(list).toContain(bin.replace(/^\.\//, ""))
      const packedJson = ok(await run("tar", ["xzOf", tgz, "package/package.json"], work), "tar x")
      const packed = JSON.parse(packedJson) as PackageJson
      expect(JSON.stringify(packed.dependencies ?? {}), pkg.name).not.toContain("workspace:")
      for (const [name, range] of Object.entries(packed.dependencies ?? {})) {
        if (name.startsWith("@rtm-voice/")) expect(range, `${pkg.name} → ${name}`).toBe(pkg.version)
      }
      expect(allConditions(packed.exports), pkg.name).not.toContain("source")
      expect(packed.peerDependencies?.["effect"], pkg.name).toBe(`^${effectVersion}`)
      // every file an export points at is in the tarball
      const targets = Object.values(packed.exports ?? {})
        .flatMap((v) => (typeof v === "string" ? [v] : Object.values(v)))
      for (const target of targets) {
        expect(list, `${pkg.name} exports ${target}`).toContain(target.replace(/^\.\//, ""))
      }
    }
  }, 60_000)

  it("effect first, then the tarballs: one copy of effect; install size and package count", async () => {
    app = await freshApp("rtm-voice-app", effectVersion, true)
    ok(await run("npm", ["install", ...tarballBy(manifests)], app, 200_000), "npm install <tarballs>")
    for (const { pkg } of manifests) {
      const installed = join(app, "node_modules", pkg.name)
      const manifest = readJson<PackageJson>(join(installed, "package.json"))
      expect(manifest.version).toBe(pkg.version)
      expect(existsSync(join(installed, (manifest.exports!["."] as Conditions).types!)), `${pkg.name} types`).toBe(true)
      expect(copiesOf(app, pkg.name), pkg.name).toHaveLength(1)
    }
    const effects = copiesOf(app, "effect")
    expect(effects.map((d) => relative(app, d))).toEqual(["node_modules/effect"])
    expect(readJson<PackageJson>(join(effects[0]!, "package.json")).version).toBe(effectVersion)
    // the peer @effect/platform-node came with the packages, on the same effect
    expect(copiesOf(app, "@effect/platform-node")).toHaveLength(1)
    // nothing under our scope came from the registry
    const lock = readFileSync(join(app, "package-lock.json"), "utf8")
    expect(lock).not.toMatch(/registry\.npmjs\.org\/@rtm-voice/)

    const lockfile = readJson<{ packages: Record<string, unknown> }>(join(app, "package-lock.json"))
    const packages = Object.keys(lockfile.packages)
      .filter((p) => p !== "")
    const sizeKb = await diskUsageKb(join(app, "node_modules"))
    console.log(`install: ${packages.length} packages, ${(sizeKb / 1024).toFixed(1)} MB in node_modules`)
    // the duplicated install this replaces was 207 MB; one copy of effect is far below
    expect(sizeKb / 1024).toBeLessThan(120)
  }, 420_000)

  it("the README example typechecks (strict, nodenext) and runs against the installed CLI's emulator", async () => {
    expect(app, "installed app").toBeDefined()
    // Node's types came with the app's first install
    expect(existsSync(join(app, "node_modules/@types/node/package.json"))).toBe(true)
    mkdirSync(join(app, "src"))
    writeFileSync(join(app, "src/readme-example.ts"), readmeExample())
    writeFileSync(
      join(app, "src/run.ts"),
      `import { Effect } from "effect"\nimport { main } from "./readme-example.js"\n\n` +
        `const count = await Effect.runPromise(main)\nconsole.log(\`count \${String(count)}\`)\n`
    )
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify(
        {
          compilerOptions: {
            target: "ES2022",
            module: "nodenext",
            moduleResolution: "nodenext",
            strict: true,
            exactOptionalPropertyTypes: true,
            noUncheckedIndexedAccess: true,
            verbatimModuleSyntax: true,
            skipLibCheck: true,
            types: ["node"],
            outDir: "dist",
            rootDir: "src"
          },
          include: ["src"]
        },
        null,
        2
      )
    )
    const tsc = join(repoRoot, "node_modules/typescript/bin/tsc")
    const compiled = await run(process.execPath, [tsc, "-p", "tsconfig.json"], app)
    expect(compiled.stdout + compiled.stderr, "tsc").toBe("")
    expect(compiled.code).toBe(0)

    // The emulator from the installed CLI, with the example's pid and secret, on a free port.
    const bin = join(app, "node_modules/.bin/rtm-voice")
    const child = spawn(bin, ["emulator", "--port", "0", "--pid", "11000001", "--secret", "your-project-secret"], {
      cwd: app,
      env: npmEnv(),
      stdio: ["ignore", "pipe", "pipe"]
    })
    emulator = child
    let out = ""
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`emulator did not start: ${out}`)), 30_000)
      child.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d
        const m = /listening on (\S+)/.exec(out)
        if (m !== null) {
          clearTimeout(timer)
          resolve(m[1]!)
        }
      })
      child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d))
      child.on("exit", (code) => reject(new Error(`emulator exited ${code}: ${out}`)))
    })
    // the example's endpoint, pointed at this emulator
    const js = join(app, "dist/readme-example.js")
    const source = readFileSync(js, "utf8")
    expect(source).toContain("127.0.0.1:13315")
    writeFileSync(js, source.replace("127.0.0.1:13315", address))
    const ran = ok(await run(process.execPath, ["dist/run.js"], app, 60_000), "node dist/run.js")
    expect(ran).toContain("members 1001, 1002; managers ")
    expect(ran).toContain("5000 is not in room 42 (code 200040)")
    expect(ran).toMatch(/count 2\n$/)
    child.kill("SIGTERM")
    emulator = undefined
  }, 300_000)

  it("the SDK and the emulator run from a plain .mjs; npx rtm-voice works", async () => {
    expect(app, "installed app").toBeDefined()
    writeFileSync(
      join(app, "smoke.mjs"),
      `import { VoiceRoomClient, makeVoiceRoomClient } from "@rtm-voice/voice-room"
import { createVoiceRoomClient } from "@rtm-voice/voice-room/promise"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { FpnnClient } from "@rtm-voice/fpnn-transport"
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
  const transport = yield* FpnnClient.make({ endpoint: emulator.address })
  const client = yield* makeVoiceRoomClient(transport, { pid: 1234, secret, dialect: "rtc" })
  const members = yield* client.getVoiceRoomMembers(room)
  // and through the Promise facade
  const viaPromise = yield* Effect.promise(async () => {
    const rooms = await createVoiceRoomClient({ endpoint: emulator.address, pid: 1234, secret: "pack-smoke-secret" })
    try {
      return await rooms.getVoiceRoomMemberCount(room)
    } finally {
      await rooms.close()
    }
  })
  console.log("count " + count)
  console.log("members " + members.uids.join(","))
  console.log("promise " + viaPromise)
}).pipe(Effect.scoped)

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => { console.error(String(error)); process.exit(1) }
)
`
    )
    const [smokeRun, helpRun, demoRun] = await Promise.all([
      run(process.execPath, ["smoke.mjs"], app, 30_000),
      run("npx", ["--no-install", "rtm-voice", "--help"], app, 30_000),
      run("npx", ["--no-install", "rtm-voice", "demo"], app, 30_000)
    ])
    const smoke = ok(smokeRun, "node smoke.mjs")
    expect(smoke).toBe("count 2\nmembers 1,9223372036854775807\npromise 2\n")

    const help = ok(helpRun, "npx rtm-voice --help")
    const commands = [
      ...["rooms", "members", "count", "pull", "invite", "kick", "close", "mic", "admin"],
      ...["emulator", "demo", "keygen"]
    ]
    for (const name of commands) {
      expect(help).toMatch(new RegExp(`^  ${name} `, "m"))
    }
    const demo = ok(demoRun, "npx rtm-voice demo")
    expect(demo).toMatch(/All 9 operations ran/)
  }, 240_000)

  it("beside an incompatible effect, npm refuses with ERESOLVE instead of a second copy", async () => {
    const old = await oldApp
    const r = await run("npm", ["install", ...tarballBy(manifests)], old, 200_000)
    expect(r.code, r.stdout).not.toBe(0)
    expect(r.stderr).toMatch(/ERESOLVE/)
    expect(r.stderr).toMatch(/peer effect@"\^4\.1\.0"/)
    expect(copiesOf(old, "effect")).toHaveLength(1)
    expect(existsSync(join(old, "node_modules/@rtm-voice"))).toBe(false)
  }, 240_000)
})
