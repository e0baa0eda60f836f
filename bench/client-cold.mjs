// Cold start in a fresh process: module import, then Layer build to the first answer.
//   node client-cold.mjs <port> [mode strength publicKeyFile]
import { readFileSync } from "node:fs"
import { performance } from "node:perf_hooks"
const [port, mode, strength, keyFile] = process.argv.slice(2)
const t0 = performance.now()
const { Effect, level, makeCallerLayer } = await import("./sdk.mjs")
const { ROOM_ID, send } = await import("./lib.mjs")
const t1 = performance.now()
const encryption = mode === undefined || mode === "plain"
  ? undefined
  : { serverKey: readFileSync(keyFile, "utf8"), mode, strength: Number(strength) }
const { layer, caller } = makeCallerLayer({ endpoint: `127.0.0.1:${port}`, encryption })
const first = Effect.gen(function*() {
  const call = yield* caller
  return yield* call(ROOM_ID)
}).pipe(Effect.provide(layer))
const answer = await Effect.runPromise(first)
const t2 = performance.now()
send({ level, importMs: t1 - t0, layerToFirstAnswerMs: t2 - t1, processToFirstAnswerMs: t2, answer })
process.exit(0)
