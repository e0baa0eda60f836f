/**
 * The client's sessions: dial, key exchange, then serve the connection until it ends;
 * and `acquire`, which gives a caller the open connection or starts a session for it.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Deferred, Duration, Effect, Exit, Fiber, Metric, PubSub, Schedule } from "effect"
import { Socket } from "effect/socket"
import { connectionError, type FpnnConnectionError } from "../../Errors.js"
import type { Quest } from "../../Frame.js"
import * as FpnnMetrics from "../../Metrics.js"
import type { Payload } from "../codec/Msgpack.js"
import { FpnnConnection } from "../connection/Connection.js"
import { destroyOnRelease, socketError } from "../connection/SocketEnd.js"
import { lost, notSentError, recordLoss } from "./Backoff.js"
import { keepAlive } from "./KeepAlive.js"
import { keyExchange } from "./KeyExchange.js"
import { type ClientRuntime, count, emit, reasonName, setState } from "./Runtime.js"

let connectionIds = 0

/** Answers the server's twoway pushes (the gateway's keep-alive "ping", message pushes) and publishes every push. */
const onQuest = (rt: ClientRuntime) => (conn: FpnnConnection, quest: Quest, payload: Payload): void => {
  if (quest.twoway) conn.answer(quest, {})
  PubSub.publishUnsafe(rt.quests, { method: quest.method, payload, twoway: quest.twoway })
}

/** Opens the socket, runs the connection on it and, when encrypted, exchanges keys; within the connect timeout. */
const dial = (rt: ClientRuntime, conn: FpnnConnection, attempt: number) =>
  Effect.gen(function*() {
    const socket = yield* NodeSocket.makeNet({ host: rt.host, port: rt.port, noDelay: true })
    const { pull } = yield* socket.reader
    const writer = yield* socket.writer
    yield* destroyOnRelease(writer)
    const running = yield* Effect.forkScoped(conn.run(pull, writer))
    if (rt.encryption !== undefined) yield* keyExchange(conn, rt.encryption, rt.maxFrameBytes, rt.spanAttributes)
    return running
  }).pipe(
    Effect.mapError((e) => (Socket.isSocketError(e) ? socketError(rt.endpoint, e) : e)),
    rt.connectTimeout === Infinity ? (effect) => effect : Effect.timeoutOrElse({
      duration: rt.connectTimeout,
      orElse: () =>
        Effect.fail(
          connectionError("ConnectTimeout", {
            endpoint: rt.endpoint,
            sent: false,
            detail: `did not finish within ${rt.connectTimeout} ms` +
              (rt.serverKey === undefined ? "" : " (key exchange included)")
          })
        )
    }),
    Effect.tapError((error) =>
      Effect.sync(() => conn.close(error)).pipe(
        Effect.andThen(Effect.annotateCurrentSpan({ "error.type": reasonName(error) }))
      )
    ),
    Effect.withSpan("FpnnClient.connect", {
      kind: "client",
      attributes: { ...rt.spanAttributes, "fpnn.encrypted": rt.serverKey !== undefined, "fpnn.attempt": attempt }
    }, { captureStackTrace: false })
  )

/** The connection is up: the client's state, the waiting callers, events, metrics and logs. */
const connected = (
  rt: ClientRuntime,
  conn: FpnnConnection,
  ready: Deferred.Deferred<FpnnConnection, FpnnConnectionError>,
  dialedAt: number
) =>
  Effect.gen(function*() {
    const connectionId = ++connectionIds
    const connectedAt = rt.now()
    rt.openedAt.set(conn, { dialedAt, connectedAt })
    rt.current = conn
    rt.connecting = undefined
    rt.lastFailure = undefined
    rt.exhausted = false
    Deferred.doneUnsafe(ready, Exit.succeed(conn))
    emit(rt, { _tag: "Connected", endpoint: rt.endpoint, connectionId, encrypted: rt.serverKey !== undefined })
    yield* setState(rt, { _tag: "Connected", connectionId, encrypted: rt.serverKey !== undefined, since: connectedAt })
    yield* count(rt, FpnnMetrics.connects)
    yield* Metric.update(
      Metric.withAttributes(FpnnMetrics.connectDuration, rt.metricAttributes),
      Duration.millis(connectedAt - dialedAt)
    )
    yield* Effect.logDebug(`connected to ${rt.endpoint}`).pipe(
      Effect.annotateLogs({ "fpnn.connection_id": connectionId, "fpnn.encrypted": rt.serverKey !== undefined })
    )
    return connectionId
  })

/** The connection ended with `error`: events, metrics, logs, then one step of the backoff. */
const ended = (rt: ClientRuntime, conn: FpnnConnection, connectionId: number, error: FpnnConnectionError) =>
  Effect.gen(function*() {
    if (rt.current === conn) rt.current = undefined
    emit(rt, { _tag: "Closed", endpoint: rt.endpoint, connectionId, error })
    yield* count(rt, FpnnMetrics.disconnects, error)
    const text = `the connection to ${rt.endpoint} ended (${reasonName(error)}` +
      (error.detail === undefined ? ")" : `: ${error.detail})`)
    yield* (reasonName(error) === "Shutdown" ? Effect.logDebug(text) : Effect.logWarning(text)).pipe(
      Effect.annotateLogs({ "fpnn.connection_id": connectionId, "fpnn.reason": reasonName(error) })
    )
    yield* recordLoss(rt, conn, error)
  })

/**
 * The connect failed. Events, metrics, logs and the backoff before the callers resume:
 * their next call sees the backoff, and a caller closing the client loses no report.
 */
const connectFailed = (
  rt: ClientRuntime,
  ready: Deferred.Deferred<FpnnConnection, FpnnConnectionError>,
  error: FpnnConnectionError,
  dialedAt: number,
  attempt: number
) =>
  Effect.gen(function*() {
    const at = rt.now()
    emit(rt, { _tag: "ConnectFailed", endpoint: rt.endpoint, error })
    yield* count(rt, FpnnMetrics.connectFailures, error)
    yield* Metric.update(
      Metric.withAttributes(FpnnMetrics.connectDuration, rt.metricAttributes),
      Duration.millis(at - dialedAt)
    )
    yield* Effect.logWarning(`connecting to ${rt.endpoint} failed: ${error.message}`).pipe(
      Effect.annotateLogs({ "fpnn.attempt": attempt, "fpnn.reason": reasonName(error) })
    )
    yield* lost(rt, error, { elapsedMillis: at - dialedAt, connected: false }, false)
    rt.connecting = undefined
    Deferred.doneUnsafe(ready, Exit.fail(error))
  })

// Dial, key exchange, then serve the connection until it ends. Runs in the sessions
// scope, so closing the client interrupts it (after the drain) and closes the socket.
const session = (
  rt: ClientRuntime,
  ready: Deferred.Deferred<FpnnConnection, FpnnConnectionError>
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const dialedAt = rt.now()
    const attempt = rt.failedCount + 1
    return Effect.gen(function*() {
      yield* setState(rt, { _tag: "Connecting", attempt })
      yield* Effect.logDebug(`connecting to ${rt.endpoint}`)
      const conn = new FpnnConnection({
        endpoint: rt.endpoint,
        maxFrameBytes: rt.maxFrameBytes,
        maxQueuedBytes: rt.resolved.maxQueuedBytes,
        onQuest: onQuest(rt)
      })
      const opened = yield* dial(rt, conn, attempt)
      const connectionId = yield* connected(rt, conn, ready, dialedAt)
      if (rt.keepalive !== undefined) yield* Effect.forkScoped(keepAlive(conn, rt.keepalive))
      const exit = yield* Fiber.await(opened)
      yield* ended(rt, conn, connectionId, Exit.isSuccess(exit) ? exit.value : rt.shutdownError)
    }).pipe(
      Effect.scoped,
      Effect.catch((error: FpnnConnectionError) => connectFailed(rt, ready, error, dialedAt, attempt)),
      Effect.annotateLogs(rt.annotations)
    )
  })

/**
 * The open connection, or one made for this caller. `budget`: how long the caller may
 * wait (its timeout): a backoff that ends inside it is waited out, a longer one fails
 * the call at once, not sent.
 */
export const acquire = (rt: ClientRuntime, budget: number): Effect.Effect<FpnnConnection, FpnnConnectionError> =>
  Effect.suspend((): Effect.Effect<FpnnConnection, FpnnConnectionError> => {
    if (rt.closed) return Effect.fail(rt.shutdownError)
    if (rt.current !== undefined && rt.current.closed === undefined) return Effect.succeed(rt.current)
    if (rt.current !== undefined) {
      const conn = rt.current
      rt.current = undefined
      return Effect.flatMap(recordLoss(rt, conn, conn.closed!), () => acquire(rt, budget)) // see recordLoss
    }
    if (rt.connecting !== undefined) return Deferred.await(rt.connecting)
    if (rt.lastFailure !== undefined) {
      const failure = rt.lastFailure
      if (rt.exhausted) return Effect.fail(notSentError(failure, undefined))
      const wait = rt.retryAt - rt.now()
      if (wait > 0) {
        if (wait < budget) return Effect.flatMap(Effect.sleep(wait), () => acquire(rt, budget - wait))
        return Effect.fail(notSentError(failure, Math.ceil(wait)))
      }
    }
    const ready = Deferred.makeUnsafe<FpnnConnection, FpnnConnectionError>()
    rt.connecting = ready
    return Effect.forkIn(session(rt, ready), rt.sessions).pipe(
      Effect.andThen((fiber) => {
        rt.sessionFiber = fiber
        return Deferred.await(ready)
      })
    )
  })

/** `connect`: the open connection, or a new one; an explicit connect restarts an ended schedule. */
export const connectNow = (rt: ClientRuntime): Effect.Effect<void, FpnnConnectionError> =>
  Effect.suspend(() => {
    if (!rt.exhausted) return Effect.asVoid(acquire(rt, rt.connectTimeout))
    rt.exhausted = false
    rt.retryAt = 0
    rt.failedCount = 0
    return Effect.flatMap(Schedule.toStep(rt.reconnect), (fresh) => {
      rt.step = fresh
      return Effect.asVoid(acquire(rt, rt.connectTimeout))
    })
  })
