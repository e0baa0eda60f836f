// Opt-in bounded soak: RTM_SOAK=1 [RTM_SOAK_SECONDS=120] pnpm test test/reliability/soak
//
// 20 clients × 4 callers run random operations for the whole duration against one
// emulator: 10 clients directly (the emulator is restarted at random every 2-8 s), 10
// through a chaos proxy whose every connection draws a fault (drop, stall, garbage,
// delay, dribble, or none). Every call must settle within its timeout with its answer
// or a tagged error; the heap, sampled after GC, must stay flat; at the end no fiber,
// socket, server or timer is left. The measurements go to stdout for RELIABILITY.md.
import { describe, expect, it } from "@effect/vitest"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Exit, Fiber, Scope } from "effect"
import * as Net from "node:net"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import {
  eventually,
  fiberCounter,
  freePort,
  guardProcess,
  PID,
  rawPeer,
  SECRET,
  SLACK,
  tcpServers,
  tcpSockets,
  timers,
  voiceClient
} from "./support.js"

const enabled = process.env.RTM_SOAK === "1"
const SECONDS = Number(process.env.RTM_SOAK_SECONDS ?? 120)
const TIMEOUT = 1000
/** Heap sampled (after a full GC) every 5 s, or 6 times over a short run. */
const SAMPLE_MILLIS = Math.max(1000, Math.min(5000, (SECONDS * 1000) / 6))
const TAGS = new Set([
  "FpnnConnectionError",
  "FpnnTimeoutError",
  "FpnnProtocolError",
  "RtmError",
  "VoiceRoomDecodeError"
])

guardProcess()

const gc = (): void => {
  v8.setFlagsFromString("--expose-gc")
  ;(vm.runInNewContext("gc") as () => void)()
}

type ProxyFault = "none" | "drop" | "stall" | "garbage" | "delay" | "dribble"
const FAULTS: ReadonlyArray<readonly [ProxyFault, number]> = [
  ["none", 50],
  ["drop", 15],
  ["stall", 10],
  ["garbage", 10],
  ["delay", 10],
  ["dribble", 5]
]
const drawFault = (): ProxyFault => {
  let r = Math.random() * 100
  for (const [fault, weight] of FAULTS) if ((r -= weight) < 0) return fault
  return "none"
}

describe.skipIf(!enabled)("soak (opt-in: RTM_SOAK=1, RTM_SOAK_SECONDS)", () => {
  it.live(
    `${SECONDS} s of random calls under random faults: every call settles, memory stays flat, nothing left`,
    () => {
      const fibers = fiberCounter()
      const before = { sockets: tcpSockets(), servers: tcpServers(), timers: timers() }
      return Effect.gen(function*() {
        const port = yield* freePort
        const startEmulator = Effect.gen(function*() {
          const scope = yield* Scope.make()
          yield* makeEmulator({ pid: PID, secret: SECRET, port }).pipe(Scope.provide(scope))
          return scope
        })
        let emulator = yield* startEmulator
        const faultsDrawn: Record<string, number> = {}
        const proxyScope = yield* Scope.make()
        const proxy = yield* rawPeer((socket) => {
          const fault = drawFault()
          faultsDrawn[fault] = (faultsDrawn[fault] ?? 0) + 1
          const upstream = Net.connect(port, "127.0.0.1")
          const timers: Array<ReturnType<typeof setTimeout>> = []
          const later = (ms: number, f: () => void) => timers.push(setTimeout(f, ms))
          upstream.on("error", () => socket.destroy())
          socket.on("close", () => {
            upstream.destroy()
            timers.forEach(clearTimeout)
          })
          upstream.on("close", () => socket.destroy())
          let stalled = false
          // one byte every 2 ms, in order across chunks
          let queue: Array<number> = []
          const dribble = (d: Buffer) => {
            const idle = queue.length === 0
            queue = queue.concat([...d])
            const next = () => {
              if (queue.length === 0 || socket.destroyed) return
              socket.write(Buffer.of(queue.shift()!))
              later(2, next)
            }
            if (idle) next()
          }
          socket.on("data", (d) => void (!stalled && upstream.write(d)))
          upstream.on("data", (d) => {
            if (stalled) return
            if (fault === "delay") later(150, () => socket.write(d))
            else if (fault === "dribble") dribble(d)
            else socket.write(d)
          })
          const at = 50 + Math.random() * 1500
          if (fault === "drop") later(at, () => socket.destroy())
          if (fault === "stall") later(at, () => (stalled = true))
          if (fault === "garbage") later(at, () => socket.write("HTTP/1.1 503 Service Unavailable\r\n\r\n"))
        }, { record: false }).pipe(Scope.provide(proxyScope))

        const stats = { calls: 0, ok: 0, maxMillis: 0, restarts: 0, failures: {} as Record<string, number> }
        const heap: Array<number> = []
        let stop = false
        yield* Effect.scoped(
          Effect.gen(function*() {
            const clients = yield* Effect.forEach(
              Array.from({ length: 20 }, (_, i) => i),
              (i) =>
                voiceClient(i < 10 ? `127.0.0.1:${port}` : proxy.endpoint, {}, {
                  reconnect: { immediateRetries: 2, firstDelay: "100 millis", maxDelay: "1 second", linearSteps: 3 }
                })
            )
            const caller = (client: (typeof clients)[number]["client"], id: number) =>
              Effect.gen(function*() {
                let n = 0
                while (!stop) {
                  n++
                  const room = 1 + (id % 50)
                  const pick = Math.floor(Math.random() * 5)
                  const call = pick === 0
                    ? client.pullUserIntoVoiceRoom(room, [n % 1000, 2n ** 62n + BigInt(n)], { timeout: TIMEOUT })
                    : pick === 1
                    ? client.kickoutFromVoiceRoom(room, n % 1000, n % 1000, { timeout: TIMEOUT })
                    : pick === 2
                    ? client.getVoiceRoomMembers(room, { timeout: TIMEOUT })
                    : pick === 3
                    ? client.getVoiceRoomMemberCount(room, { timeout: TIMEOUT })
                    : client.getVoiceRoomList({ timeout: TIMEOUT })
                  const t0 = Date.now()
                  stats.calls++
                  const exit = yield* Effect.exit(
                    call as Effect.Effect<
                      unknown,
                      { readonly _tag: string; readonly reason?: { readonly _tag: string } }
                    >
                  )
                  const millis = Date.now() - t0
                  if (millis > stats.maxMillis) {
                    stats.maxMillis = millis
                  }
                  if (Exit.isSuccess(exit)) stats.ok++
                  else {
                    const reason = exit.cause.reasons[0]
                    const key = reason?._tag === "Fail"
                      ? `${reason.error._tag}/${String(reason.error.reason?._tag ?? "")}`
                      : `defect:${reason?._tag}`
                    stats.failures[key] = (stats.failures[key] ?? 0) + 1
                    yield* Effect.sleep(10)
                  }
                }
              })
            const callers = yield* Effect.forEach(
              clients.flatMap(({ client }, i) => [0, 1, 2, 3].map((k) => caller(client, i * 4 + k))),
              (c) => Effect.forkChild(c)
            )
            const end = Date.now() + SECONDS * 1000
            let nextRestart = Date.now() + 2000 + Math.random() * 6000
            let nextSample = Date.now() + SAMPLE_MILLIS
            while (Date.now() < end) {
              yield* Effect.sleep(100)
              if (Date.now() >= nextRestart) {
                yield* Scope.close(emulator, Exit.void)
                yield* Effect.sleep(Math.random() * 500)
                emulator = yield* startEmulator
                stats.restarts++
                nextRestart = Date.now() + 2000 + Math.random() * 6000
              }
              if (Date.now() >= nextSample) {
                gc()
                heap.push(process.memoryUsage().heapUsed)
                nextSample = Date.now() + SAMPLE_MILLIS
              }
            }
            stop = true
            yield* Fiber.joinAll(callers)
            for (const { fpnn } of clients) expect(yield* fpnn.pendingCount).toBe(0)
          })
        )
        yield* Scope.close(proxyScope, Exit.void)
        yield* Scope.close(emulator, Exit.void)

        const mb = (n: number) => +(n / 2 ** 20).toFixed(1)
        // the first samples include warm-up (JIT, caches): compare the second quarter with the last
        const settled = heap.slice(Math.floor(heap.length / 4))
        const report = {
          seconds: SECONDS,
          ...stats,
          callsPerSecond: Math.round(stats.calls / SECONDS),
          faultsDrawn,
          heapMB: heap.map(mb),
          heapGrowthMB: mb(settled[settled.length - 1]! - settled[0]!)
        }
        console.log(`[soak] ${JSON.stringify(report)}`)

        expect(stats.ok).toBeGreaterThan(stats.calls / 4)
        expect(stats.maxMillis).toBeLessThan(TIMEOUT + SLACK) // every call settled in time
        for (const key of Object.keys(stats.failures)) expect(TAGS, key).toContain(key.split("/")[0])
        expect(heap.length).toBeGreaterThanOrEqual(3)
        // flat: within 16 MB (the replay caches alone hold up to ~300 s of signatures)
        expect(Math.max(...settled) - settled[0]!).toBeLessThan(16 * 2 ** 20)

        expect(yield* eventually(() => fibers.live, (n) => n === 0), "fibers left").toBe(0)
        expect(yield* eventually(tcpSockets, (n) => n <= before.sockets)).toBeLessThanOrEqual(before.sockets)
        expect(yield* eventually(tcpServers, (n) => n <= before.servers)).toBeLessThanOrEqual(before.servers)
        expect(yield* eventually(timers, (n) => n <= before.timers)).toBeLessThanOrEqual(before.timers)
      }).pipe(fibers.track)
    },
    (SECONDS + 60) * 1000
  )
})
