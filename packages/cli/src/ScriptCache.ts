/**
 * Loads a bundled CommonJS script of the executable (the one-shot call, dist/bin-call-<hash>.cjs)
 * with a V8 code cache of what its previous run compiled.
 *
 * Node's module compile cache (Node >= 22.1) stores a module's code as compiled before it
 * runs: its top level only, so every function is compiled again on every start, and Node 20
 * has no such cache at all. This cache is written after the run instead (`createCachedData`
 * at exit), so it also holds every function the run compiled; on Node 20 and 24 alike.
 *
 * The cache is a file per script content (the hash in its name), Node version and
 * architecture, in a directory of this user only: `$NODE_COMPILE_CACHE/rtm-voice` when that
 * is set, else `<tmpdir>/rtm-voice-<uid>` (mode 0700; a directory that another user owns or
 * can write is not used). It is written when it was missing or V8 rejected it, through a
 * temporary file renamed into place. Any failure only costs speed: the script then compiles
 * as usual. `NODE_DISABLE_COMPILE_CACHE` turns it off, as it does Node's.
 *
 * The built-ins come from process.getBuiltinModule: an ES module namespace of node:fs would
 * also load fs/promises, readline and the stream classes.
 */
const fs = process.getBuiltinModule("node:fs")
const path = process.getBuiltinModule("node:path")

/** This user's cache directory, or undefined when there is none to trust. */
const cacheDirectory = (): string | undefined => {
  const env = process.env
  if (env.NODE_DISABLE_COMPILE_CACHE !== undefined && env.NODE_DISABLE_COMPILE_CACHE !== "") return undefined
  if (env.NODE_COMPILE_CACHE !== undefined && env.NODE_COMPILE_CACHE !== "") {
    return path.join(path.resolve(env.NODE_COMPILE_CACHE), "rtm-voice")
  }
  const os = process.getBuiltinModule("node:os")
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined
  return path.join(os.tmpdir(), uid === undefined ? "rtm-voice" : `rtm-voice-${uid}`)
}

/** Whether a directory is this user's alone (on POSIX: owned by the user, writable by nobody else). */
const trusted = (dir: string): boolean => {
  const stat = fs.statSync(dir, { throwIfNoEntry: false })
  if (stat === undefined || !stat.isDirectory()) return false
  if (typeof process.getuid !== "function") return true
  return stat.uid === process.getuid() && (stat.mode & 0o022) === 0
}

const readCache = (file: string): Buffer | undefined => {
  try {
    return trusted(path.dirname(file)) ? fs.readFileSync(file) : undefined
  } catch {
    return undefined
  }
}

const writeCache = (file: string, data: Buffer): void => {
  try {
    const dir = path.dirname(file)
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    if (!trusted(dir)) return
    const temporary = `${file}.${process.pid}.tmp`
    fs.writeFileSync(temporary, data, { mode: 0o600 })
    fs.renameSync(temporary, file)
  } catch { /* an unwritable cache only costs speed */ }
}

/**
 * What the build writes around a CommonJS script (Node's module wrapper), so that the file's
 * text is what V8 compiles, as read.
 */
export const SCRIPT_WRAPPER = ["(function (exports, require, module, __filename, __dirname) {", "\n})"] as const

/**
 * Runs the CommonJS script in `file`, written inside SCRIPT_WRAPPER (built-ins are all it
 * requires), and answers its exports. `key` names its content (the build's hash of it).
 */
export const loadScript = (file: string, key: string): unknown => {
  const vm = process.getBuiltinModule("node:vm")
  const { createRequire } = process.getBuiltinModule("node:module")
  const dir = cacheDirectory()
  const cacheFile = dir === undefined ? undefined : path.join(dir, `${key}-${process.version}-${process.arch}.v8`)
  const cachedData = cacheFile === undefined ? undefined : readCache(cacheFile)
  const script = new vm.Script(fs.readFileSync(file, "utf8"), {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData })
  })
  if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once("exit", () => writeCache(cacheFile, script.createCachedData()))
  }
  const module = { exports: {} as Record<string, unknown> }
  const wrapper = script.runInThisContext() as (...args: ReadonlyArray<unknown>) => void
  wrapper(module.exports, createRequire(file), module, file, path.dirname(file))
  return module.exports
}
