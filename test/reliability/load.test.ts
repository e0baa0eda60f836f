// Load: 100 SDK clients (100 connections) × 1,000 calls each, all at once, against one
// emulator. Every answer is checked; afterwards no fiber, socket or timer is left and
// every connection is gone. The throughput and heap are printed for RELIABILITY.md.
import { describe, expect, it } from "@effect/vitest"
import { makeEmulator } from "@rtm-voice/voice-room-emulator"
import { Effect, Exit, Scope } from "effect"
import {
  eventually,
  fiberCounter,
  guardProcess,
  PID,
  resources,
  SECRET,
  tcpServers,
  tcpSockets,
  timers,
  voiceClient
} from "./support.js"

guardProcess()

const CLIENTS = 100
const WRITES = 10 // per client: pull one distinct user each into the client's own room
const READS = 990 // per client: then count (900) and list (90) that room's members, all at once

describe("load", () => {
  it.live(
    `${CLIENTS} clients × ${
      WRITES + READS
    } calls concurrently against one emulator: all answered correctly, nothing left behind`,
    () => {
      const fibers = fiberCounter()
      const before = { sockets: tcpSockets(), servers: tcpServers(), timers: timers() }
      return Effect.gen(function*() {
        const emulatorScope = yield* Scope.make()
        const emulator = yield* makeEmulator({ pid: PID, secret: SECRET }).pipe(Scope.provide(emulatorScope))
        const clientsScope = yield* Scope.make()
        const clients = yield* Effect.forEach(
          Array.from({ length: CLIENTS }),
          () => voiceClient(emulator.address, { timeout: "150 seconds" }),
          { concurrency: "unbounded" }
        ).pipe(Scope.provide(clientsScope))
        const room = (i: number) => 5_000 + i
        const uid = (i: number, j: number) => BigInt(i) * 1_000_000n + BigInt(j) + 2n ** 40n // beyond 2^32
        const expectedMembers = (i: number) => Array.from({ length: WRITES }, (_, j) => uid(i, j)).join()

        global.gc?.()
        const heapBefore = process.memoryUsage().heapUsed
        const start = Date.now()
        const cpuStart = process.cpuUsage()
        const perClient = yield* Effect.forEach(clients, ({ client }, i) =>
          Effect.gen(function*() {
            yield* Effect.forEach(
              Array.from({ length: WRITES }, (_, j) => j),
              (j) => client.pullUserIntoVoiceRoom(room(i), [uid(i, j)]),
              {
                concurrency: "unbounded",
                discard: true
              }
            )
            return yield* Effect.forEach(
              Array.from({ length: READS }, (_, j) => j),
              (j) =>
                j % 10 === 0
                  ? Effect.map(
                    client.getVoiceRoomMembers(room(i)),
                    (m) => [...m.uids].sort((a, b) => (a < b ? -1 : 1)).join() === expectedMembers(i) ? 1 : 0
                  )
                  : Effect.map(client.getVoiceRoomMemberCount(room(i)), (n) => (n === WRITES ? 1 : 0)),
              { concurrency: "unbounded" }
            )
          }), { concurrency: "unbounded" })
        const millis = Date.now() - start
        const cpu = process.cpuUsage(cpuStart)
        const heapPeak = process.memoryUsage().heapUsed
        const calls = CLIENTS * (WRITES + READS)

        // every read saw exactly its own room's 500 members
        expect(perClient.flat().filter((ok) => ok === 1)).toHaveLength(CLIENTS * READS)
        const state = yield* emulator.state
        expect(state.rooms).toHaveLength(CLIENTS)
        for (const r of state.rooms) expect(r.members.length).toBe(WRITES)
        const handled = [...state.quests.values()].reduce((a, b) => a + b, 0)
        expect(handled).toBe(calls) // each call reached the emulator exactly once
        expect(yield* emulator.connectionCount).toBe(CLIENTS) // one connection per client, no reconnects
        for (const { fpnn } of clients) expect(yield* fpnn.pendingCount).toBe(0)

        // closing the clients closes their connections (seen from the emulator)
        const closing = Date.now()
        yield* Scope.close(clientsScope, Exit.void)
        expect(yield* eventually(() => Effect.runSync(emulator.connectionCount), (n) => n === 0)).toBe(0)
        const closeMillis = Date.now() - closing
        yield* Scope.close(emulatorScope, Exit.void)

        // nothing left: fibers, sockets, servers, timers
        expect(yield* eventually(() => fibers.live, (n) => n === 0), "fibers left").toBe(0)
        expect(fibers.started).toBeGreaterThan(calls) // the counter did see the work
        expect(yield* eventually(tcpSockets, (n) => n <= before.sockets), JSON.stringify(resources()))
          .toBeLessThanOrEqual(before.sockets)
        expect(yield* eventually(tcpServers, (n) => n <= before.servers)).toBeLessThanOrEqual(before.servers)
        expect(yield* eventually(timers, (n) => n <= before.timers)).toBeLessThanOrEqual(before.timers)

        const report = {
          calls,
          millis,
          callsPerSecond: Math.round(calls / (millis / 1000)),
          cpuMillis: Math.round((cpu.user + cpu.system) / 1000),
          heapBeforeMB: +(heapBefore / 2 ** 20).toFixed(1),
          heapPeakMB: +(heapPeak / 2 ** 20).toFixed(1),
          closeMillis,
          fibersStarted: fibers.started
        }
        console.log(`[load] ${JSON.stringify(report)}`)
      }).pipe(fibers.track)
    },
    180_000
  ) // a hang detector: the work takes ~20 s of CPU, and the machine may be shared
})
