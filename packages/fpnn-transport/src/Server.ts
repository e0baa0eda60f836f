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
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import { Context, Duration, Effect, FiberSet, Layer, Option, Scope } from "effect"
import type { Socket, SocketServer } from "effect/socket"
import type { Payload } from "./Codec.js"
import { FpnnConnection } from "./internal/connection/Connection.js"
import { destroyOnRelease } from "./internal/connection/SocketEnd.js"
import { connectionError, FpnnErrorAnswer, type FpnnOptionsError } from "./Errors.js"
import { FpnnErrorCode } from "./FpnnCodes.js"
import type { Curve } from "./internal/encryption/Curve.js"
import { answerExit, serverStopping } from "./internal/server/Answer.js"
import { acceptKeyQuest } from "./internal/server/KeyQuest.js"
import { resolveServerOptions } from "./Options.js"
import type { Quest } from "./Frame.js"

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

export class FpnnServer extends Context.Service<FpnnServer, FpnnServerService>()("@rtm-voice/fpnn-transport/FpnnServer") {
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

const unknownMethod = (method: string) => ({ code: FpnnErrorCode.UnknownMethod, ex: `Unknown method: ${method}` })

export const makeServer = <R>(
  options: FpnnServerOptions<R>
): Effect.Effect<FpnnServerService, SocketServer.SocketServerError | FpnnOptionsError, Scope.Scope | R> =>
  Effect.gen(function*() {
    const resolved = yield* Effect.fromResult(resolveServerOptions(options))
    const { host, maxFrameBytes, maxQueuedBytes, privateKey, shutdownGraceMillis: shutdownGrace } = resolved
    const handlers = resolved.handlers as Readonly<Record<string, QuestHandler<R>>>
    // Own properties only: "constructor", "toString", "valueOf" or "__proto__" are
    // inherited from Object and are not handlers (they get 20004 like any unknown method).
    const handlerOf = (method: string): QuestHandler<R> | undefined => {
      if (!Object.hasOwn(handlers, method)) return undefined
      const handler = handlers[method]
      return typeof handler === "function" ? handler : undefined
    }
    const server = yield* NodeSocketServer.make({ host, port: resolved.port })
    const port = "port" in server.address ? server.address.port : 0
    const context = yield* Effect.context<R>()
    let connections = 0
    let inflight = 0
    let stopping = false

    const serveConnection = (socket: Socket.Socket) =>
      Effect.gen(function*() {
        const { pull } = yield* socket.reader
        const writer = yield* socket.writer
        yield* destroyOnRelease(writer) // a client that stopped reading must not pin the socket
        const raw = yield* Effect.serviceOption(NodeSocket.NetSocket)
        const remoteAddress = Option.match(raw, {
          onNone: () => "unknown",
          onSome: (s) => `${s.remoteAddress}:${s.remotePort}`
        })
        const runFork = yield* FiberSet.makeRuntime<R>()
        let encrypted = false

        const dispatch = (conn: FpnnConnection, quest: Quest, payload: Payload): boolean | void => {
          const { method, twoway } = quest
          if (method === "*ping") return void conn.answer(quest, { ts: Date.now() })
          if (method === "*key") {
            encrypted = acceptKeyQuest(conn, quest, payload, privateKey, maxFrameBytes, remoteAddress)
            return true // the rest of this chunk is already encrypted, or the connection is closed
          }
          const handler = handlerOf(method)
          if (handler === undefined) {
            if (twoway) conn.answer(quest, unknownMethod(method), 1)
            return
          }
          if (stopping) {
            if (twoway) conn.answer(quest, serverStopping, 1)
            return
          }
          const ctx: QuestContext = { method, twoway, remoteAddress, encrypted, closeConnection }
          inflight++
          runFork(
            Effect.suspend(() => handler(payload, ctx)).pipe(
              Effect.exit,
              Effect.ensuring(Effect.sync(() => inflight--)),
              Effect.map((exit) => {
                if (twoway) answerExit(conn, quest, exit)
              })
            )
          )
        }

        const closeConnection = Effect.sync(() =>
          conn.close(
            connectionError("Closed", {
              endpoint: remoteAddress,
              sent: true,
              detail: `connection from ${remoteAddress} closed by its handler`
            })
          )
        )

        const conn = new FpnnConnection({
          endpoint: remoteAddress,
          maxFrameBytes,
          maxQueuedBytes,
          onQuest: dispatch,
          onOversizedAnswer: (quest, bytes) =>
            runFork(
              Effect.logWarning(
                `the answer to ${quest.method} for ${remoteAddress} is ${bytes} bytes, over the frame limit of ` +
                  `${maxFrameBytes} bytes: error ${FpnnErrorCode.EncodingError} was answered instead`
              )
            )
        })
        connections++
        yield* Effect.ensuring(
          conn.run(pull, writer),
          Effect.sync(() => connections--)
        )
      }).pipe(Effect.scoped, Effect.provideContext(context), Effect.catch(() => Effect.void))

    yield* Effect.forkScoped(server.run(serveConnection))

    // Graceful shutdown. This finalizer runs first (finalizers run in reverse order), while
    // connections are still open: quests arriving now are answered 20014 (server stopping),
    // handlers already running get up to `shutdownGrace` to finish and their answers are
    // flushed; then the listener and every connection are closed.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        stopping = true
        const deadline = Date.now() + shutdownGrace
        while (inflight > 0 && Date.now() < deadline) yield* wallClockPause
        yield* wallClockPause // one more turn: the flusher writes the last answers
      })
    )

    return {
      host,
      port,
      address: host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`,
      connectionCount: Effect.sync(() => connections)
    } satisfies FpnnServerService
  })
