/**
 * `VoiceRoomEmulator`: an in-memory RTM voice gateway on the transport's FPNN server.
 * Both dialects share one port and one set of rooms. Binds 127.0.0.1 by default.
 */
import { type FpnnOptionsError, makeServer, Options, type ServerEncryptionOptions } from "@rtm-voice/fpnn-transport"
import { Clock, Context, Effect, Layer, Redacted, type Scope } from "effect"
import type { SocketServer } from "effect/socket"
import { ReplayCache } from "./Auth.js"
import { makeHandlers } from "./Handlers.js"
import { type RoomSnapshot, Rooms } from "./Rooms.js"

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
  readonly encryption?: ServerEncryptionOptions | undefined
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
  /** Forgets every room, mic status, counter and remembered signature. */
  readonly reset: Effect.Effect<void>
  /** TCP connections open right now. */
  readonly connectionCount: Effect.Effect<number>
}

/**
 * The emulator's own options, checked before the server is built (which checks host,
 * port and the key): pid, secret, clock and the ts window.
 */
const checkOptions = (options: unknown) =>
  Options.check("options", () => {
    const o = Options.record(options, "options")
    const pid = Options.integer(Options.field(o, "pid", "pid"), "pid", 1, 0x7fffffff)
    const secret = Options.field(o, "secret", "secret")
    if (!Redacted.isRedacted(secret) && typeof secret !== "string") {
      Options.rejectOption("secret", secret === undefined ? "Missing" : "WrongType", "secret must be a Redacted string")
    }
    const clock = Options.field(o, "clock", "clock")
    if (clock !== undefined && typeof clock !== "function") {
      Options.rejectOption("clock", "WrongType", `clock must be a function returning milliseconds, got ${Options.show(clock)}`)
    }
    const window = Options.field(o, "tsWindowSeconds", "tsWindowSeconds")
    const tsWindowSeconds = window === undefined ? 300 : Options.integer(window, "tsWindowSeconds", 0, 2 ** 31 - 1)
    return {
      pid,
      secret: typeof secret === "string" ? Redacted.make(secret) : secret as Redacted.Redacted<string>,
      clock: clock as (() => number) | undefined,
      tsWindowSeconds,
      host: Options.field(o, "host", "host"),
      port: Options.field(o, "port", "port"),
      encryption: Options.field(o, "encryption", "encryption")
    }
  })

/** Starts an emulator; it stops when the scope closes. Bad options fail with `FpnnOptionsError`. */
export const makeEmulator = (
  input: EmulatorOptions
): Effect.Effect<VoiceRoomEmulatorService, SocketServer.SocketServerError | FpnnOptionsError, Scope.Scope> =>
  Effect.gen(function*() {
    const options = yield* Effect.fromResult(checkOptions(input))
    const rooms = new Rooms()
    const replay = new ReplayCache()
    const quests = new Map<string, number>()
    const clock = options.clock
    const handlers = makeHandlers({
      auth: { pid: options.pid, secret: options.secret, windowSeconds: options.tsWindowSeconds },
      replay,
      rooms,
      now: clock === undefined ? Clock.currentTimeMillis : Effect.sync(clock),
      onQuest: (method) => quests.set(method, (quests.get(method) ?? 0) + 1)
    })
    const server = yield* makeServer({
      host: (options.host ?? "127.0.0.1") as string,
      port: (options.port ?? 0) as number,
      handlers,
      encryption: options.encryption as ServerEncryptionOptions | undefined
    })
    const snapshotOf = () => rooms.snapshot()
    return {
      host: server.host,
      port: server.port,
      address: server.address,
      pid: options.pid,
      state: Effect.sync(() => ({
        rooms: snapshotOf(),
        micStatus: new Map(rooms.micStatus),
        quests: new Map(quests),
        rememberedSignatures: replay.size
      })),
      room: (roomId) => Effect.sync(() => snapshotOf().find((r) => r.id === roomId)),
      reset: Effect.sync(() => {
        rooms.clear()
        replay.clear()
        quests.clear()
      }),
      connectionCount: server.connectionCount
    } satisfies VoiceRoomEmulatorService
  })

export class VoiceRoomEmulator extends Context.Service<VoiceRoomEmulator, VoiceRoomEmulatorService>()(
  "@rtm-voice/voice-room-emulator/VoiceRoomEmulator"
) {
  static readonly layer = (
    options: EmulatorOptions
  ): Layer.Layer<VoiceRoomEmulator, SocketServer.SocketServerError | FpnnOptionsError> =>
    Layer.effect(VoiceRoomEmulator, makeEmulator(options))
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

