/**
 * The FPNN server: a Layer-scoped TCP listener that dispatches quests to a handler
 * table (method name → Effect). The RTM voice gateway emulator and the tests build on it.
 *
 * Per connection: `*ping` and `*key` are built in; an unknown twoway method gets error
 * 20004; a oneway quest runs its handler with no answer; a handler failing with
 * `FpnnErrorAnswer` sends that error answer, a defect sends 20001. Malformed bytes close
 * only that connection. Closing the scope shuts down gracefully: running handlers get
 * `shutdownGrace` to answer (new quests are answered 20014), then every connection closes.
 */
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import { Context, Duration, Effect, Layer, Scope } from "effect"
import type { SocketServer } from "effect/socket"
import type { Payload } from "./Codec.js"
import type { FpnnErrorAnswer, FpnnOptionsError } from "./Errors.js"
import type { Curve } from "./internal/encryption/Curve.js"
import { serveConnection, type ServerState } from "./internal/server/Serve.js"
import { resolveServerOptions } from "./Options.js"

export interface QuestContext {
  readonly method: string
  readonly twoway: boolean
  /** "ip:port" of the client. */
  readonly remoteAddress: string
  /** Whether this connection completed the `*key` exchange. */
  readonly encrypted: boolean
  /**
   * Closes this connection without answering (fault injection: a lost connection). The
   * handler's fiber is interrupted with the connection; anything it answers is dropped.
   */
  readonly closeConnection: Effect.Effect<void>
}

/** Answers a quest: the answer payload (`void` = `{}`), or an error answer. */
export type QuestHandler<R = never> = (
  payload: Payload,
  context: QuestContext
) => Effect.Effect<Payload | void, FpnnErrorAnswer, R>

export interface ServerEncryptionOptions {
  /** The server's private key: PEM/DER (SEC1 or PKCS#8), or the raw scalar (the C++ key file). */
  readonly privateKey: Uint8Array | string
  /** Curve of a raw key. Default secp256k1. */
  readonly curve?: Curve | undefined
}

export interface FpnnServerOptions<R = never> {
  /** Default 127.0.0.1: reachable from this machine only unless told otherwise. */
  readonly host?: string | undefined
  /** Default 0: a free port, read back from `port`. */
  readonly port?: number | undefined
  readonly handlers: Readonly<Record<string, QuestHandler<R>>>
  /** Largest accepted frame. Default 8 MiB. */
  readonly maxFrameBytes?: number | undefined
  /** Answers allowed to wait for a client that stopped reading (default 64 MiB); beyond, it is disconnected. */
  readonly maxQueuedBytes?: number | undefined
  /** On shutdown, how long running handlers may take to answer. Default 2 s. */
  readonly shutdownGrace?: Duration.Input | undefined
  /** Accept encrypted connections (plain ones are still accepted, as the reference server does). */
  readonly encryption?: ServerEncryptionOptions | undefined
}

export interface FpnnServerService {
  readonly host: string
  readonly port: number
  /** "host:port", ready for a client's `endpoint`. */
  readonly address: string
  /** Connections open right now. */
  readonly connectionCount: Effect.Effect<number>
}

export class FpnnServer
  extends Context.Service<FpnnServer, FpnnServerService>()("@rtm-voice/fpnn-transport/FpnnServer")
{
  /** Options are checked when the layer is built: a bad one fails it with `FpnnOptionsError`. */
  static readonly layer = <R>(
    options: FpnnServerOptions<R>
  ): Layer.Layer<FpnnServer, SocketServer.SocketServerError | FpnnOptionsError, R> =>
    Layer.effect(FpnnServer, makeServer(options))

  /** Builds a server in the current scope; `makeServer`. */
  static readonly make = <R>(
    options: FpnnServerOptions<R>
  ): Effect.Effect<FpnnServerService, SocketServer.SocketServerError | FpnnOptionsError, Scope.Scope | R> =>
    makeServer(options)
}

// Shutdown waits on the wall clock, not Effect's Clock: a TestClock must not hold it up.
const wallClockPause = Effect.callback<void>((resume) => {
  const timer = setTimeout(() => resume(Effect.void), 5)
  return Effect.sync(() => clearTimeout(timer))
})

export const makeServer = <R>(
  options: FpnnServerOptions<R>
): Effect.Effect<FpnnServerService, SocketServer.SocketServerError | FpnnOptionsError, Scope.Scope | R> =>
  Effect.gen(function*() {
    const resolved = yield* Effect.fromResult(resolveServerOptions(options))
    const { host, shutdownGraceMillis: shutdownGrace } = resolved
    // The options' type says what the handlers are; the check made sure they are an
    // object, and `handlerOf` that each one it returns is a function.
    const handlers = resolved.handlers as Readonly<Record<string, QuestHandler<R>>>
    // Own properties only: "constructor", "toString", "valueOf" or "__proto__" are
    // inherited from Object and are not handlers (they get UnknownMethod like any unknown method).
    const handlerOf = (method: string): QuestHandler<R> | undefined => {
      if (!Object.hasOwn(handlers, method)) return undefined
      const handler = handlers[method]
      return typeof handler === "function" ? handler : undefined
    }
    const server = yield* NodeSocketServer.make({ host, port: resolved.port })
    const port = "port" in server.address ? server.address.port : 0
    const state: ServerState = { connections: 0, inflight: 0, stopping: false }
    const serve = serveConnection({
      handlerOf,
      privateKey: resolved.privateKey,
      maxFrameBytes: resolved.maxFrameBytes,
      maxQueuedBytes: resolved.maxQueuedBytes,
      state,
      context: yield* Effect.context<R>()
    })
    yield* Effect.forkScoped(server.run(serve))

    // Graceful shutdown. This finalizer runs first (finalizers run in reverse order), while
    // connections are still open: quests arriving now are answered ServerStopping,
    // handlers already running get up to `shutdownGrace` to finish and their answers are
    // flushed; then the listener and every connection are closed.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        state.stopping = true
        const deadline = Date.now() + shutdownGrace
        while (state.inflight > 0 && Date.now() < deadline) yield* wallClockPause
        yield* wallClockPause // one more turn: the flusher writes the last answers
      })
    )

    return {
      host,
      port,
      address: host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`,
      connectionCount: Effect.sync(() => state.connections)
    } satisfies FpnnServerService
  })
