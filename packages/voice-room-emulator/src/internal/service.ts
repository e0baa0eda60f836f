/** The emulator's service over its state: inspection, reset, seeding, fault plans, quest waits. */
import { dialects, type OperationName, Operations } from "@rtm-voice/voice-room"
import { Effect } from "effect"
import type { ReplayCache } from "../Auth.js"
import type { VoiceRoomEmulatorService } from "../Emulator.js"
import type { FaultEngine } from "../Faults.js"
import type { Rooms } from "../Rooms.js"
import { applySeed, snapshotOf } from "../Seed.js"
import { toPlan } from "./options.js"

/** What an emulator's service reads and changes. */
export interface EmulatorParts {
  readonly server: Pick<VoiceRoomEmulatorService, "host" | "port" | "address" | "connectionCount">
  readonly pid: number
  readonly rooms: Rooms
  readonly replay: ReplayCache
  readonly quests: Map<string, number>
  readonly faults: FaultEngine
  readonly waiters: Set<() => void>
}

const isOperationName = (method: string): method is OperationName => Object.hasOwn(Operations, method)

const wireNames = (method: string): ReadonlyArray<string> =>
  isOperationName(method) ? [...new Set(dialects.map((d) => Operations[method].wire[d]))] : [method]

export const makeService = (parts: EmulatorParts): VoiceRoomEmulatorService => {
  const { faults, quests, replay, rooms, server, waiters } = parts
  const questsOf = (methods: ReadonlyArray<string>) => methods.reduce((n, m) => n + (quests.get(m) ?? 0), 0)
  const roomsNow = () => rooms.snapshot()
  return {
    host: server.host,
    port: server.port,
    address: server.address,
    pid: parts.pid,
    state: Effect.sync(() => ({
      rooms: roomsNow(),
      micStatus: new Map(rooms.micStatus),
      quests: new Map(quests),
      rememberedSignatures: replay.size,
      faults: faults.stats()
    })),
    room: (roomId) => Effect.sync(() => roomsNow().find((r) => r.id === roomId)),
    reset: Effect.sync(() => {
      rooms.clear()
      replay.clear()
      quests.clear()
      faults.resetCounters()
    }),
    connectionCount: server.connectionCount,
    setFaults: (plan) => Effect.map(toPlan(plan), (p) => faults.set(p)),
    clearFaults: Effect.sync(() => faults.set({ faults: [] })),
    withFaults: (plan) =>
      Effect.flatMap(toPlan(plan), (p) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            const previous = faults.current
            faults.set(p)
            return previous
          }),
          (previous) => Effect.sync(() => faults.set(previous))
        )),
    seed: (seed) => Effect.suspend(() => Effect.fromResult(applySeed(rooms, seed))),
    snapshot: Effect.sync(() => snapshotOf(rooms, quests, faults.stats())),
    awaitQuests: (method, count = 1) =>
      Effect.callback<void>((resume) => {
        const methods = wireNames(method)
        const wake = () => {
          if (questsOf(methods) < count) return
          waiters.delete(wake)
          resume(Effect.void)
        }
        waiters.add(wake)
        wake()
        return Effect.sync(() => waiters.delete(wake))
      })
  } satisfies VoiceRoomEmulatorService
}
