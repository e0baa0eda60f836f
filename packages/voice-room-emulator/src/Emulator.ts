/**
 * `VoiceRoomEmulator`: an in-memory RTM voice gateway on the transport's FPNN server.
 * Both dialects share one port and one set of rooms. Binds 127.0.0.1 by default.
 */
import { type FpnnOptionsError, FpnnServer, optionsError, type Server } from "@rtm-voice/fpnn-transport"
import {
  type StartupCheckError,
  VoiceRoomClient,
  type VoiceRoomClientLayerOptions,
  type VoiceRoomOptionsError
} from "@rtm-voice/voice-room"
import { Clock, Context, Deferred, Effect, Layer, Redacted, Result, type Scope } from "effect"
import type { SocketServer } from "effect/socket"
import { ReplayCache } from "./Auth.js"
import { decodeFaultPlan, type Fault, FaultEngine, type FaultPlan, FaultPlanError, type FaultStats } from "./Faults.js"
import { makeHandlers } from "./Handlers.js"
import { checkOptions } from "./internal/options.js"
import { makeService } from "./internal/service.js"
import { Rooms, type RoomSnapshot } from "./Rooms.js"
import { applySeed, type EmulatorSeed, type EmulatorSeedError, type EmulatorSnapshot } from "./Seed.js"

/** A fault plan, or just its faults (no seed). */
export type FaultPlanInput = FaultPlan | ReadonlyArray<Fault>

export interface EmulatorOptions {
  /** Interface to bind. Default 127.0.0.1 (this machine only). */
  readonly host?: string | undefined
  /** Port to bind. Default 0: a free port, read back from `port` / `address`. */
  readonly port?: number | undefined
  /** The project id quests must carry. */
  readonly pid: number
  /** The project secret quests must be signed with. */
  readonly secret: Redacted.Redacted<string>
  /** Server time in milliseconds. Default: effect's `Clock` (TestClock in tests). */
  readonly clock?: (() => number) | undefined
  /** Accepted |ts − server time| in seconds (error 200008 beyond). Default 300. */
  readonly tsWindowSeconds?: number | undefined
  /** Also accept encrypted connections, with this private key (plain ones still work). */
  readonly encryption?: Server.ServerEncryptionOptions | undefined
  /** Faults to inject from the start (see Faults.ts and the README). Default: none. */
  readonly faults?: FaultPlanInput | undefined
  /** Rooms (and mic states) to start with. */
  readonly seed?: EmulatorSeed | undefined
}

export interface EmulatorState {
  /** Open rooms, in creation order. */
  readonly rooms: ReadonlyArray<RoomSnapshot>
  /** Default microphone state per room id (also for rooms not created yet). */
  readonly micStatus: ReadonlyMap<bigint, boolean>
  /** Quests that reached a handler, per wire method (rejected ones included). */
  readonly quests: ReadonlyMap<string, number>
  /** (salt, sign) pairs currently remembered for replay detection. */
  readonly rememberedSignatures: number
  /** The fault plan in force and the faults injected so far. */
  readonly faults: FaultStats
}

export interface VoiceRoomEmulatorService {
  readonly host: string
  readonly port: number
  /** "host:port", ready for `VoiceRoomClient`'s `endpoint` (and the CLI's banner). */
  readonly address: string
  readonly pid: number
  /** A copy of the current state. */
  readonly state: Effect.Effect<EmulatorState>
  /** One room's state, if open. */
  readonly room: (roomId: bigint) => Effect.Effect<RoomSnapshot | undefined>
  /** Forgets every room, mic status, counter (injected faults too) and remembered signature; keeps the plan. */
  readonly reset: Effect.Effect<void>
  /** TCP connections open right now. */
  readonly connectionCount: Effect.Effect<number>
  /** Replaces the fault plan (its `times`, PRNG and rate-limit windows start afresh). */
  readonly setFaults: (plan: FaultPlanInput) => Effect.Effect<void, FaultPlanError>
  /** No more faults (the counters stay). */
  readonly clearFaults: Effect.Effect<void>
  /** This plan while the scope is open, then the plan that was in force before. */
  readonly withFaults: (plan: FaultPlanInput) => Effect.Effect<void, FaultPlanError, Scope.Scope>
  /** Adds (or replaces, by id) rooms and mic states, without API calls. */
  readonly seed: (seed: EmulatorSeed) => Effect.Effect<void, EmulatorSeedError>
  /** The whole state as JSON-ready data, ids as decimal strings (exact). */
  readonly snapshot: Effect.Effect<EmulatorSnapshot>
  /**
   * Waits until `count` quests (default 1) of `method` (an SDK operation name, both
   * dialects, or a wire method name) have reached the emulator since it started or was
   * reset: a test driving a `TestClock` moves the clock only once the quest is in.
   */
  readonly awaitQuests: (method: string, count?: number) => Effect.Effect<void>
}

/** Starts an emulator; it stops when the scope closes. Bad options fail with `FpnnOptionsError`. */
export const makeEmulator = (
  input: EmulatorOptions
): Effect.Effect<VoiceRoomEmulatorService, SocketServer.SocketServerError | FpnnOptionsError, Scope.Scope> =>
  Effect.gen(function*() {
    const options = yield* Effect.fromResult(checkOptions(input))
    const rooms = new Rooms()
    const replay = new ReplayCache()
    const quests = new Map<string, number>()
    // A bad plan or seed in the options is a bad option, like any other (FpnnOptionsError).
    const decoded = options.faults === undefined ? undefined : decodeFaultPlan(options.faults)
    if (decoded !== undefined && Result.isFailure(decoded)) {
      return yield* optionsError("faults", "Malformed", decoded.failure.message)
    }
    const plan = decoded?.success
    const faults = new FaultEngine(plan)
    if (options.seed !== undefined) {
      const seeded = applySeed(rooms, options.seed)
      if (Result.isFailure(seeded)) return yield* optionsError("seed", "Malformed", seeded.failure.message)
    }
    const stopped = yield* Deferred.make<void>()
    const waiters = new Set<() => void>()
    const clock = options.clock
    const handlers = makeHandlers({
      auth: { pid: options.pid, secret: options.secret, windowSeconds: options.tsWindowSeconds },
      replay,
      rooms,
      now: clock === undefined ? Clock.currentTimeMillis : Effect.sync(clock),
      onQuest: (method) => {
        quests.set(method, (quests.get(method) ?? 0) + 1)
        for (const wake of waiters) wake()
      },
      faults,
      stopped: Deferred.await(stopped)
    })
    const server = yield* FpnnServer.make({
      host: (options.host ?? "127.0.0.1") as string,
      port: (options.port ?? 0) as number,
      handlers,
      encryption: options.encryption as Server.ServerEncryptionOptions | undefined
    })
    // Runs before the server's graceful shutdown (finalizers run in reverse order), so
    // black-holed quests end (answered 20014) instead of holding the shutdown grace.
    yield* Effect.addFinalizer(() => Deferred.succeed(stopped, undefined))
    return makeService({ server, pid: options.pid, rooms, replay, quests, faults, waiters })
  })

export class VoiceRoomEmulator extends Context.Service<VoiceRoomEmulator, VoiceRoomEmulatorService>()(
  "@rtm-voice/voice-room-emulator/VoiceRoomEmulator"
) {
  static readonly layer = (
    options: EmulatorOptions
  ): Layer.Layer<VoiceRoomEmulator, SocketServer.SocketServerError | FpnnOptionsError> =>
    Layer.effect(VoiceRoomEmulator, makeEmulator(options))

  /**
   * A test kit in one layer: an in-process emulator (127.0.0.1, a free port) and a
   * `VoiceRoomClient` connected to it, both in context, so a test seeds, injects faults
   * and inspects through `VoiceRoomEmulator` while the code under test uses the client.
   * `pid` and `secret` default to test values; the client options (`dialect`, `timeout`,
   * `readRetry`, `transport`...) go to the client, the rest to the emulator.
   */
  static readonly layerClient = <const O extends LayerClientOptions = {}>(
    options?: O
  ): Layer.Layer<
    VoiceRoomEmulator | VoiceRoomClient,
    SocketServer.SocketServerError | FpnnOptionsError | VoiceRoomOptionsError | StartupCheckError<O>
  > => {
    const { clientOptions, ...emulatorOptions } = splitOptions(options ?? {})
    const client = Layer.unwrap(
      Effect.gen(function*() {
        const emulator = yield* VoiceRoomEmulator
        return VoiceRoomClient.layer({ ...clientOptions, endpoint: emulator.address })
      })
    ) as Layer.Layer<VoiceRoomClient, VoiceRoomOptionsError | StartupCheckError<O>, VoiceRoomEmulator>
    return Layer.provideMerge(client, VoiceRoomEmulator.layer(emulatorOptions))
  }
}

/** Options of `VoiceRoomEmulator.layerClient`: the emulator's and the client's. */
export interface LayerClientOptions
  extends Partial<EmulatorOptions>, Omit<Partial<VoiceRoomClientLayerOptions>, "endpoint" | "pid" | "secret">
{}

/** The project id `layerClient` uses by default. */
export const TEST_PID = 11000001
/** The project secret `layerClient` uses by default. */
export const TEST_SECRET: Redacted.Redacted<string> = Redacted.make("rtm-voice-test-secret")

const splitOptions = (options: LayerClientOptions) => {
  const { connectTimeout, dialect, readRetry, timeout, transport, ...emulator } = options
  const pid = emulator.pid ?? TEST_PID
  const secret = emulator.secret ?? TEST_SECRET
  const clientOptions: Omit<VoiceRoomClientLayerOptions, "endpoint"> = {
    pid,
    secret,
    ...(connectTimeout === undefined ? {} : { connectTimeout }),
    ...(dialect === undefined ? {} : { dialect }),
    ...(readRetry === undefined ? {} : { readRetry }),
    ...(timeout === undefined ? {} : { timeout }),
    ...(transport === undefined ? {} : { transport })
  }
  return { ...emulator, pid, secret, clientOptions }
}

/**
 * Runs an emulator until interrupted (the CLI's `emulator` command): `onListening`
 * receives the started emulator, e.g. to print `listening on ${address}`.
 */
export const runEmulator = <E = never, R = never>(
  options: EmulatorOptions,
  onListening?: (emulator: VoiceRoomEmulatorService) => Effect.Effect<void, E, R>
): Effect.Effect<never, SocketServer.SocketServerError | FpnnOptionsError | E, R> =>
  Effect.scoped(
    Effect.gen(function*() {
      const emulator = yield* makeEmulator(options)
      if (onListening !== undefined) yield* onListening(emulator)
      return yield* Effect.never
    })
  )
