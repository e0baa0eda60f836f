/**
 * One connection of the server: built-in `*ping` and `*key`, every other quest dispatched
 * to its handler (an unknown method answered `UnknownMethod`, a quest during shutdown
 * `ServerStopping`), each handler in its own fiber, its exit answered (Answer.ts).
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { type Context, Effect, FiberSet, Option } from "effect"
import type { Socket } from "effect/socket"
import type * as Net from "node:net"
import { connectionError } from "../../Errors.js"
import { FpnnErrorCode } from "../../FpnnCodes.js"
import type { Quest } from "../../Frame.js"
import type { QuestContext, QuestHandler } from "../../Server.js"
import type { Payload } from "../codec/Msgpack.js"
import { FpnnConnection } from "../connection/Connection.js"
import { destroyOnRelease } from "../connection/SocketEnd.js"
import type { ServerPrivateKey } from "../encryption/Keys.js"
import { answerExit, serverStopping } from "./Answer.js"
import { acceptKeyQuest } from "./KeyQuest.js"

/** The counts the server reports and its shutdown reads, shared by its connections. */
export interface ServerState {
  connections: number
  inflight: number
  stopping: boolean
}

export interface ServeOptions<R> {
  readonly handlerOf: (method: string) => QuestHandler<R> | undefined
  readonly privateKey: ServerPrivateKey | undefined
  readonly maxFrameBytes: number
  readonly maxQueuedBytes: number
  readonly state: ServerState
  /** The server's context, which the handlers run in. */
  readonly context: Context.Context<R>
}

type RunFork<R> = (effect: Effect.Effect<unknown, never, R>) => unknown

const unknownMethod = (method: string) => ({ code: FpnnErrorCode.UnknownMethod, ex: `Unknown method: ${method}` })

const remoteAddressOf = (socket: Option.Option<Net.Socket>): string =>
  Option.match(socket, { onNone: () => "unknown", onSome: (s) => `${s.remoteAddress}:${s.remotePort}` })

/** The `onQuest` of a connection from `remoteAddress`. */
const dispatcher = <R>(o: ServeOptions<R>, remoteAddress: string, runFork: RunFork<R>) => {
  let encrypted = false
  let closeConnection: Effect.Effect<void> | undefined
  return (conn: FpnnConnection, quest: Quest, payload: Payload): boolean | void => {
    const { method, twoway } = quest
    if (method === "*ping") return void conn.answer(quest, { ts: Date.now() })
    if (method === "*key") {
      encrypted = acceptKeyQuest(conn, quest, payload, o.privateKey, o.maxFrameBytes, remoteAddress)
      return true // the rest of this chunk is already encrypted, or the connection is closed
    }
    const handler = o.handlerOf(method)
    if (handler === undefined) {
      if (twoway) conn.answer(quest, unknownMethod(method), 1)
      return
    }
    if (o.state.stopping) {
      if (twoway) conn.answer(quest, serverStopping, 1)
      return
    }
    closeConnection ??= Effect.sync(() =>
      conn.close(
        connectionError("Closed", {
          endpoint: remoteAddress,
          sent: true,
          detail: `connection from ${remoteAddress} closed by its handler`
        })
      )
    )
    const ctx: QuestContext = { method, twoway, remoteAddress, encrypted, closeConnection }
    o.state.inflight++
    runFork(
      Effect.suspend(() => handler(payload, ctx)).pipe(
        Effect.exit,
        Effect.ensuring(Effect.sync(() => o.state.inflight--)),
        Effect.map((exit) => {
          if (twoway) answerExit(conn, quest, exit)
        })
      )
    )
  }
}

/** Serves one accepted socket until its connection ends; never fails. */
export const serveConnection = <R>(o: ServeOptions<R>) => (socket: Socket.Socket): Effect.Effect<void> =>
  Effect.gen(function*() {
    const { pull } = yield* socket.reader
    const writer = yield* socket.writer
    yield* destroyOnRelease(writer) // a client that stopped reading must not pin the socket
    const remoteAddress = remoteAddressOf(yield* Effect.serviceOption(NodeSocket.NetSocket))
    const runFork = yield* FiberSet.makeRuntime<R>()
    const conn = new FpnnConnection({
      endpoint: remoteAddress,
      maxFrameBytes: o.maxFrameBytes,
      maxQueuedBytes: o.maxQueuedBytes,
      onQuest: dispatcher(o, remoteAddress, runFork),
      onOversizedAnswer: (quest, bytes) =>
        runFork(
          Effect.logWarning(
            `the answer to ${quest.method} for ${remoteAddress} is ${bytes} bytes, over the frame limit of ` +
              `${o.maxFrameBytes} bytes: error ${FpnnErrorCode.EncodingError} was answered instead`
          )
        )
    })
    o.state.connections++
    yield* Effect.ensuring(
      conn.run(pull, writer),
      Effect.sync(() => o.state.connections--)
    )
  }).pipe(Effect.scoped, Effect.provideContext(o.context), Effect.catch(() => Effect.void))
