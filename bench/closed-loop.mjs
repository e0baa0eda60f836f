// The closed loop every SDK-level bench client runs: `window` fibers issue calls until `n`
// have been issued or `deadline` (performance.now() ms) has passed; latencies in µs go to
// `lat` when given, `onCall(done)` runs after each answer, and `check` rejects a wrong one.
import { Effect } from "effect"
import { performance } from "node:perf_hooks"

export const closedLoop = ({ call, check, deadline, lat, n, onCall, window }) =>
  Effect.suspend(() => {
    let issued = 0
    let done = 0
    let stopAt = n
    const slot = Effect.gen(function*() {
      while (issued < stopAt) {
        issued++
        const t0 = performance.now()
        const answer = yield* call()
        const t1 = performance.now()
        if (lat !== undefined) lat[done] = (t1 - t0) * 1000
        done++
        if (!check(answer)) throw new Error(`unexpected answer ${answer}`)
        if (onCall !== undefined) onCall(done)
        if (stopAt === n && t1 > deadline) stopAt = issued
      }
    })
    return Effect.all(Array.from({ length: Math.min(window, n) }, () => slot), {
      concurrency: "unbounded",
      discard: true
    }).pipe(Effect.map(() => done))
  })
