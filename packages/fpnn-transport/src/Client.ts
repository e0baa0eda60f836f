/**
 * The FPNN client: one multiplexed connection, connected lazily (or explicitly),
 * re-established on demand after a loss, paced by a reconnect `Schedule` (Reconnect.ts).
 * A call is never resent behind the caller's back: a call in flight when the
 * connection drops fails with `FpnnConnectionError` and the caller decides.
 *
 * Its state is a `SubscriptionRef` (`state`, `stateChanges`); connects, losses, backoff
 * and the key exchange are logged (annotated with the endpoint, never a key) and traced
 * (`FpnnClient.connect`, `FpnnClient.keyExchange` spans); FpnnMetrics counts them.
 * Closing the client's scope refuses new calls at once and lets calls in flight finish
 * for up to `shutdownGrace` before failing them.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import {
  Clock,
  Config,
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Metric,
  PubSub,
  Result,
  Schedule,
  Scope,
  Stream,
  SubscriptionRef
} from "effect"
import { Socket } from "effect/socket"
import type { Payload } from "./Codec.js"
import { keepAlive } from "./internal/client/KeepAlive.js"
import { keyExchange } from "./internal/client/KeyExchange.js"
import { FpnnConnection } from "./internal/connection/Connection.js"
import { destroyOnRelease, socketError } from "./internal/connection/SocketEnd.js"
import {
  connectionError,
  type FpnnCallError,
  type FpnnConnectionError,
  type FpnnOptionsError,
  type FpnnProtocolError,
  timeoutError
} from "./Errors.js"
import type { Curve, Mode, Strength } from "./Encryption.js"
import * as FpnnMetrics from "./Metrics.js"
import { resolveCallTimeout, resolveClientOptions } from "./Options.js"
import {
  HEALTHY_AFTER_MILLIS,
  type ReconnectInput,
  type ReconnectSchedule,
  type RegressiveStrategy
} from "./Reconnect.js"

export interface KeepaliveOptions {
  /** Send `*ping` after this long without receiving anything. Default 20 s. */
  readonly interval?: Duration.Input | undefined
  /** Declare the link dead after this long without receiving anything. Default 35 s. */
  readonly deadAfter?: Duration.Input | undefined
}

export interface EncryptionOptions {
  /** The server's public key: PEM or DER SubjectPublicKeyInfo, or a raw 33/64/65-byte point. */
  readonly serverKey: Uint8Array | string
  /** Curve of a raw key (PEM/DER name their own). Default secp256k1. */
  readonly curve?: Curve | undefined
  /** "package" (the Node reference client, default) or "stream" (the Go reference client). */
  readonly mode?: Mode | undefined
  /** AES key size. Default 128. */
  readonly strength?: Strength | undefined
}

export interface FpnnClientOptions {
  /** "host:port" of the FPNN server. */
  readonly endpoint: string
  /** TCP connect plus key exchange. Default 5 s (the FPNN reference default). */
  readonly connectTimeout?: Duration.Input | undefined
  /** A call's timeout when it names none: the transport's default. Default 5 s. */
  readonly questTimeout?: Duration.Input | undefined
  /** Largest frame accepted from the server, and sent to it (a larger quest fails unsent with FpnnProtocolError "Oversized"). Default 8 MiB. */
  readonly maxFrameBytes?: number | undefined
  /** Bytes allowed to wait for a server that stopped reading (default 64 MiB); beyond, reason "Stalled". */
  readonly maxQueuedBytes?: number | undefined
  /**
   * When to dial again after a failed connect or a lost connection: any `Schedule` over
   * `ReconnectInput` (its delay is the wait), or the settings of `Reconnect.regressive`.
   * Default `Reconnect.fast` (at most ~1 s between attempts). A call made while the client
   * backs off waits for the next attempt when it falls inside the call's timeout, and
   * otherwise fails at once, not sent, saying when the attempt is due.
   */
  readonly reconnect?: ReconnectSchedule | RegressiveStrategy | undefined
  /**
   * Closing the client: how long calls in flight may still take to be answered before
   * they fail with `Shutdown`. New calls fail at once. Default 5 s.
   */
  readonly shutdownGrace?: Duration.Input | undefined
  /** Log annotations added to the client's own logs besides `endpoint` (e.g. a project id). Never secrets. */
  readonly logAnnotations?: Readonly<Record<string, string | number | boolean>> | undefined
  /** Opt-in `*ping` keep-alive that detects a silent peer. Off by default. */
  readonly keepalive?: boolean | KeepaliveOptions | undefined
  /** Encrypt the connection (FPNN.md §12). Off by default. */
  readonly encryption?: EncryptionOptions | undefined
}

export interface CallOptions {
  /** This call's timeout; when absent, the client's `questTimeout`. */
  readonly timeout?: Duration.Input | undefined
}

/** A quest the server pushed on our connection. Twoway ones are answered with `{}`. */
export interface IncomingQuest {
  readonly method: string
  readonly payload: Payload
  readonly twoway: boolean
}

export type ConnectionEvent =
  | { readonly _tag: "Connected"; readonly endpoint: string; readonly connectionId: number; readonly encrypted: boolean }
  | { readonly _tag: "ConnectFailed"; readonly endpoint: string; readonly error: FpnnConnectionError }
  | { readonly _tag: "Closed"; readonly endpoint: string; readonly connectionId: number; readonly error: FpnnConnectionError }
  | {
    readonly _tag: "ReconnectScheduled"
    readonly endpoint: string
    readonly delayMillis: number
    /** Failed attempts since the schedule last restarted. */
    readonly failedCount: number
  }

/**
 * The connection's state. `BackingOff.until` is the earliest time (ms since the epoch, on
 * `Clock`) of the next attempt; connections are made on demand, so the attempt is made by
 * the first call (or `connect`) at or after it.
 */
export type ConnectionState =
  /** Not connected yet: the first call (or `connect`) dials. */
  | { readonly _tag: "Idle" }
  | { readonly _tag: "Connecting"; readonly attempt: number }
  | { readonly _tag: "Connected"; readonly connectionId: number; readonly encrypted: boolean; readonly since: number }
  | {
    readonly _tag: "BackingOff"
    readonly until: number
    readonly attempt: number
    readonly error: FpnnConnectionError
  }
  /**
   * Lost or never made, with the error that ended it. `final`: the client was shut down, or
   * its reconnect schedule ended (then only `connect` dials again).
   */
  | { readonly _tag: "Closed"; readonly error: FpnnConnectionError; readonly final: boolean }

export interface FpnnClientService {
  readonly endpoint: string
  /** Connects now (a no-op when connected); calls otherwise connect lazily. */
  readonly connect: Effect.Effect<void, FpnnConnectionError>
  /** A twoway quest: the answer's payload, or a tagged error. */
  readonly call: (
    method: string,
    payload: Payload,
    options?: CallOptions
  ) => Effect.Effect<Payload, FpnnCallError | FpnnOptionsError>
  /** A oneway quest: written with the next batch, never answered. */
  readonly send: (method: string, payload: Payload) => Effect.Effect<void, FpnnConnectionError | FpnnProtocolError>
  /** Quests pushed by the server, from the moment of subscription. */
  readonly quests: Stream.Stream<IncomingQuest>
  /** Connection lifecycle, from the moment of subscription. */
  readonly events: Stream.Stream<ConnectionEvent>
  /** Calls waiting for an answer right now. */
  readonly pendingCount: Effect.Effect<number>
  /** The connection's state now. */
  readonly state: Effect.Effect<ConnectionState>
  /** The connection's state: the current one, then every change. */
  readonly stateChanges: Stream.Stream<ConnectionState>
}

export class FpnnClient extends Context.Service<FpnnClient, FpnnClientService>()("@rtm-voice/fpnn-transport/FpnnClient") {
  /** Options are checked when the layer is built: a bad one fails it with `FpnnOptionsError`. */
  static readonly layer = (options: FpnnClientOptions): Layer.Layer<FpnnClient, FpnnOptionsError> =>
    Layer.effect(FpnnClient, makeClient(options))

  /** Builds a client in the current scope; `makeClient`. */
  static readonly make = (options: FpnnClientOptions): Effect.Effect<FpnnClientService, FpnnOptionsError, Scope.Scope> =>
    makeClient(options)

  /**
   * From configuration, as `@effect/sql-pg`'s `layerConfig`: any `Config` of the options
   * (`Config.Wrap`: each field a plain value or a Config). The default reads
   * `FPNN_ENDPOINT` and optional `FPNN_TIMEOUT` / `FPNN_CONNECT_TIMEOUT` (a Duration
   * string such as "5 seconds", or milliseconds).
   */
  static readonly layerConfig = (
    config: Config.Wrap<FpnnClientOptions> = FpnnClientConfig
  ): Layer.Layer<FpnnClient, Config.ConfigError | FpnnOptionsError> =>
    Layer.effect(
      FpnnClient,
      Effect.gen(function*() {
        return yield* makeClient(yield* Config.unwrap(config))
      })
    )
}

/**
 * A duration from configuration: a Duration string ("5 seconds", "Infinity") or a
 * number of milliseconds ("5000"). Range checks (no 0, no negative) happen where the
 * options are checked, so they name the option.
 */
export const DurationConfig = (name: string): Config.Config<Duration.Input> =>
  Config.String(name).pipe(
    Config.map((text): Duration.Input => {
      const trimmed = text.trim()
      return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed as Duration.Input
    })
  )

/** The environment `FpnnClient.layerConfig()` reads by default. */
export const FpnnClientConfig: Config.Wrap<FpnnClientOptions> = {
  endpoint: Config.String("FPNN_ENDPOINT"),
  questTimeout: DurationConfig("FPNN_TIMEOUT").pipe(Config.withDefault(5000 as Duration.Input)),
  connectTimeout: DurationConfig("FPNN_CONNECT_TIMEOUT").pipe(Config.withDefault(5000 as Duration.Input))
}

/** The default (live) Clock: a fiber whose Clock differs (TestClock) gets Effect timeouts. */
const liveClock = Context.get(Context.empty(), Clock.Clock)

let connectionIds = 0

const reasonName = (error: FpnnConnectionError): string => error.reason._tag

/**
 * The last connect failure (or drop), re-raised for a call that was not sent because of
 * it; `retryInMillis`: when the next attempt is due (absent once the schedule ended).
 */
const notSentError = (failure: FpnnConnectionError, retryInMillis: number | undefined): FpnnConnectionError =>
  connectionError(failure.reason._tag, {
    endpoint: failure.endpoint,
    sent: false,
    detail: failure.detail,
    retryInMillis,
    cause: failure
  })

/**
 * Builds a client. Every option is checked first, before any fiber or socket exists: a
 * bad one fails with `FpnnOptionsError` naming it (see Options.ts).
 */
export const makeClient = (options: FpnnClientOptions): Effect.Effect<FpnnClientService, FpnnOptionsError, Scope.Scope> =>
  Effect.gen(function*() {
    const resolved = yield* Effect.fromResult(resolveClientOptions(options))
    const { endpoint, host, port, maxFrameBytes } = resolved
    const connectTimeout = resolved.connectTimeoutMillis
    const questTimeout = resolved.questTimeoutMillis
    const shutdownGrace = resolved.shutdownGraceMillis
    const keepalive = resolved.keepalive
    const encryption = resolved.encryption
    const serverKey = encryption?.serverKey
    const reconnect = resolved.reconnect
    const scope = yield* Effect.scope
    // Sessions live in a child scope made before the drain finalizer below: finalizers run
    // in reverse order, so the connection still runs while calls in flight drain.
    const sessions = yield* Scope.fork(scope, "sequential")
    // The backoff runs on the Clock of the fiber that builds the client (TestClock in tests).
    const clock = yield* Clock.Clock
    const now = () => clock.currentTimeMillisUnsafe()
    const events = yield* PubSub.unbounded<ConnectionEvent>()
    const quests = yield* PubSub.unbounded<IncomingQuest>()
    const state = yield* SubscriptionRef.make<ConnectionState>({ _tag: "Idle" })
    const annotations = { endpoint, ...resolved.logAnnotations }
    const metricAttributes = { "server.address": host, "server.port": String(port) }
    const spanAttributes = { "rpc.system": "fpnn", "server.address": host, "server.port": port }

    let current: FpnnConnection | undefined
    const untrackPending = FpnnMetrics.trackPending(
      yield* Effect.context<never>(),
      metricAttributes,
      () => current?.pendingCount ?? 0
    )
    let connecting: Deferred.Deferred<FpnnConnection, FpnnConnectionError> | undefined
    let lastFailure: FpnnConnectionError | undefined
    // The reconnect schedule's step; replaced by a fresh one when a connection proves good.
    let step = yield* Schedule.toStep(reconnect)
    let failedCount = 0
    let retryAt = 0
    let exhausted = false
    let closed = false
    let sessionFiber: Fiber.Fiber<void> | undefined

    const shutdownError = connectionError("Shutdown", { endpoint, sent: false })

    const emit = (event: ConnectionEvent) => PubSub.publishUnsafe(events, event)
    const setState = (next: ConnectionState) => SubscriptionRef.set(state, next)
    const count = (
      metric: Metric.Metric<number, Metric.CounterState<number>>,
      reason?: FpnnConnectionError
    ) =>
      Metric.update(
        Metric.withAttributes(metric, reason === undefined ? metricAttributes : {
          ...metricAttributes,
          "fpnn.reason": reasonName(reason)
        }),
        1
      )

    const onQuest = (conn: FpnnConnection, quest: { method: string; twoway: boolean }, payload: Payload) => {
      // Twoway pushes (the gateway's keep-alive "ping", message pushes) must be answered.
      if (quest.twoway) conn.answer(quest as never, {})
      PubSub.publishUnsafe(quests, { method: quest.method, payload, twoway: quest.twoway })
    }

    // A failed connect or a lost connection: one step of the reconnect schedule.
    const lost = (error: FpnnConnectionError, input: Omit<ReconnectInput, "error">, healthy: boolean) =>
      Effect.gen(function*() {
        lastFailure = error
        if (healthy) {
          step = yield* Schedule.toStep(reconnect)
          failedCount = 0
        }
        if (closed) return
        failedCount++
        const at = now()
        const next = yield* Effect.exit(step(at, { error, ...input }))
        if (Exit.isFailure(next)) {
          exhausted = true
          retryAt = Infinity
          yield* setState({ _tag: "Closed", error, final: true })
          yield* Effect.logWarning(
            `the reconnect schedule for ${endpoint} ended after ${failedCount} failed attempts; ` +
              "calls fail until connect is called"
          )
          return
        }
        const delay = Math.max(0, Duration.toMillis(next.value[1]))
        retryAt = at + delay
        if (delay === 0) return yield* setState({ _tag: "Closed", error, final: false })
        yield* setState({ _tag: "BackingOff", until: retryAt, attempt: failedCount, error })
        emit({ _tag: "ReconnectScheduled", endpoint, delayMillis: delay, failedCount })
        yield* Effect.logDebug(`reconnecting to ${endpoint} in ${Math.round(delay)} ms`).pipe(
          Effect.annotateLogs({ "fpnn.attempt": failedCount, "fpnn.reason": reasonName(error) })
        )
      })

    // Reliability (RELIABILITY.md, reconnect storm): a lost connection is counted once, by
    // whichever sees it first — its session fiber, or the next `acquire`. The callers of
    // the calls it failed resume before the session fiber does; when only the session
    // recorded the loss, their next call redialled before the backoff knew of the failure,
    // so a peer that accepts and then breaks every connection was redialled on every call.
    const lossRecorded = new WeakSet<FpnnConnection>()
    const openedAt = new WeakMap<FpnnConnection, { readonly dialedAt: number; readonly connectedAt: number }>()
    const recordLoss = (conn: FpnnConnection, error: FpnnConnectionError) =>
      Effect.suspend(() => {
        if (lossRecorded.has(conn)) return Effect.void
        lossRecorded.add(conn)
        const times = openedAt.get(conn)
        const at = now()
        // A connection proved good (an FPNN peer answered on it, or it lived a while)
        // restarts the schedule; one that broke at once continues it (reconnect storm).
        const healthy = conn.framesReceived > (serverKey === undefined ? 0 : 1) ||
          (times !== undefined && at - times.connectedAt >= HEALTHY_AFTER_MILLIS)
        return lost(error, { elapsedMillis: at - (times?.dialedAt ?? at), connected: true }, healthy)
      })

    // Dial, key exchange, then serve the connection until it ends. Runs in the sessions
    // scope, so closing the client interrupts it (after the drain) and closes the socket.
    const session = (ready: Deferred.Deferred<FpnnConnection, FpnnConnectionError>) =>
      Effect.suspend(() => {
        const dialedAt = now()
        const attempt = failedCount + 1
        return Effect.gen(function*() {
          yield* setState({ _tag: "Connecting", attempt })
          yield* Effect.logDebug(`connecting to ${endpoint}`)
          const conn = new FpnnConnection({ endpoint, maxFrameBytes, maxQueuedBytes: resolved.maxQueuedBytes, onQuest })
          const opened = yield* Effect.gen(function*() {
            const socket = yield* NodeSocket.makeNet({ host, port, noDelay: true })
            const { pull } = yield* socket.reader
            const writer = yield* socket.writer
            yield* destroyOnRelease(writer)
            const running = yield* Effect.forkScoped(conn.run(pull, writer))
            if (encryption !== undefined) yield* keyExchange(conn, encryption, maxFrameBytes, spanAttributes)
            return running
          }).pipe(
            Effect.mapError((e) => (Socket.isSocketError(e) ? socketError(endpoint, e) : e)),
            connectTimeout === Infinity ? (effect) => effect : Effect.timeoutOrElse({
              duration: connectTimeout,
              orElse: () =>
                Effect.fail(
                  connectionError("ConnectTimeout", {
                    endpoint,
                    sent: false,
                    detail: `did not finish within ${connectTimeout} ms` +
                      (serverKey === undefined ? "" : " (key exchange included)")
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
              attributes: { ...spanAttributes, "fpnn.encrypted": serverKey !== undefined, "fpnn.attempt": attempt }
            }, { captureStackTrace: false })
          )
          const connectionId = ++connectionIds
          const connectedAt = now()
          openedAt.set(conn, { dialedAt, connectedAt })
          current = conn
          connecting = undefined
          lastFailure = undefined
          exhausted = false
          Deferred.doneUnsafe(ready, Exit.succeed(conn))
          emit({ _tag: "Connected", endpoint, connectionId, encrypted: serverKey !== undefined })
          yield* setState({ _tag: "Connected", connectionId, encrypted: serverKey !== undefined, since: connectedAt })
          yield* count(FpnnMetrics.connects)
          yield* Metric.update(
            Metric.withAttributes(FpnnMetrics.connectDuration, metricAttributes),
            Duration.millis(connectedAt - dialedAt)
          )
          yield* Effect.logDebug(`connected to ${endpoint}`).pipe(
            Effect.annotateLogs({ "fpnn.connection_id": connectionId, "fpnn.encrypted": serverKey !== undefined })
          )
          if (keepalive !== undefined) yield* Effect.forkScoped(keepAlive(conn, keepalive))
          const exit = yield* Fiber.await(opened)
          const error = Exit.isSuccess(exit) ? exit.value : shutdownError
          if (current === conn) current = undefined
          emit({ _tag: "Closed", endpoint, connectionId, error })
          yield* count(FpnnMetrics.disconnects, error)
          const ended = `the connection to ${endpoint} ended (${reasonName(error)}` +
            (error.detail === undefined ? ")" : `: ${error.detail})`)
          yield* (reasonName(error) === "Shutdown" ? Effect.logDebug(ended) : Effect.logWarning(ended)).pipe(
            Effect.annotateLogs({ "fpnn.connection_id": connectionId, "fpnn.reason": reasonName(error) })
          )
          yield* recordLoss(conn, error)
        }).pipe(
          Effect.scoped,
          Effect.catch((error: FpnnConnectionError) =>
            Effect.gen(function*() {
              const at = now()
              // Events, metrics, logs and the backoff before the callers resume: their next
              // call sees the backoff, and a caller closing the client loses no report.
              emit({ _tag: "ConnectFailed", endpoint, error })
              yield* count(FpnnMetrics.connectFailures, error)
              yield* Metric.update(
                Metric.withAttributes(FpnnMetrics.connectDuration, metricAttributes),
                Duration.millis(at - dialedAt)
              )
              yield* Effect.logWarning(`connecting to ${endpoint} failed: ${error.message}`).pipe(
                Effect.annotateLogs({ "fpnn.attempt": attempt, "fpnn.reason": reasonName(error) })
              )
              yield* lost(error, { elapsedMillis: at - dialedAt, connected: false }, false)
              connecting = undefined
              Deferred.doneUnsafe(ready, Exit.fail(error))
            })
          ),
          Effect.annotateLogs(annotations)
        )
      })

    /**
     * The open connection, or one made for this caller. `budget`: how long the caller may
     * wait (its timeout): a backoff that ends inside it is waited out, a longer one fails
     * the call at once, not sent.
     */
    const acquire = (budget: number): Effect.Effect<FpnnConnection, FpnnConnectionError> =>
      Effect.suspend((): Effect.Effect<FpnnConnection, FpnnConnectionError> => {
        if (closed) return Effect.fail(shutdownError)
        if (current !== undefined && current.closed === undefined) return Effect.succeed(current)
        if (current !== undefined) {
          const conn = current
          current = undefined
          return Effect.flatMap(recordLoss(conn, conn.closed!), () => acquire(budget)) // see recordLoss
        }
        if (connecting !== undefined) return Deferred.await(connecting)
        if (lastFailure !== undefined) {
          const failure = lastFailure
          if (exhausted) return Effect.fail(notSentError(failure, undefined))
          const wait = retryAt - now()
          if (wait > 0) {
            if (wait < budget) return Effect.flatMap(Effect.sleep(wait), () => acquire(budget - wait))
            return Effect.fail(notSentError(failure, Math.ceil(wait)))
          }
        }
        const ready = Deferred.makeUnsafe<FpnnConnection, FpnnConnectionError>()
        connecting = ready
        return Effect.forkIn(session(ready), sessions).pipe(
          Effect.andThen((fiber) => {
            sessionFiber = fiber
            return Deferred.await(ready)
          })
        )
      })

    const withTimeout = (method: string, timeout: number, sent: () => boolean) => <A, E>(effect: Effect.Effect<A, E>) =>
      timeout === Infinity ? effect : Effect.timeoutOrElse(effect, {
        duration: timeout,
        orElse: () => Effect.suspend(() => Effect.fail(timeoutError(method, endpoint, timeout, sent())))
      })

    const call = (
      method: string,
      payload: Payload,
      callOptions?: CallOptions
    ): Effect.Effect<Payload, FpnnCallError | FpnnOptionsError> => {
      // Checked before anything is sent: a bad timeout is a typed failure, not a defect.
      const checked = callOptions === undefined ? undefined : resolveCallTimeout(callOptions, questTimeout)
      if (checked !== undefined && Result.isFailure(checked)) return Effect.fail(checked.failure)
      const timeout = checked === undefined ? questTimeout : checked.success
      return Effect.withFiber((fiber): Effect.Effect<Payload, FpnnCallError> => {
        const conn = current
        // Perf fast path (BENCHMARKS.md): connected, on the live clock — the connection
        // enforces the timeout with its shared deadline timer, no per-call fibers/timers.
        // Otherwise (connecting, backing off, closing, or a TestClock that must drive the
        // timeout) the whole call, connect included, runs under Effect.timeoutOrElse.
        if (conn !== undefined && conn.closed === undefined && !closed && fiber.getRef(Clock.Clock) === liveClock) {
          return conn.request(method, payload, timeout)
        }
        // Whether the timeout struck before or after the quest reached the socket.
        let queued: { readonly conn: FpnnConnection; readonly batch: number } | undefined
        const request = (c: FpnnConnection) =>
          c.request(method, payload, undefined, (batch) => (queued = { conn: c, batch }))
        return withTimeout(method, timeout, () => queued !== undefined && queued.conn.written(queued.batch))(
          conn !== undefined && conn.closed === undefined && !closed
            ? request(conn)
            : Effect.flatMap(acquire(timeout), request)
        )
      })
    }

    const send = (method: string, payload: Payload) =>
      Effect.flatMap(acquire(questTimeout), (c) => c.send(method, payload))

    // Graceful close: refuse new calls at once, let the calls in flight be answered for up
    // to `shutdownGrace` (on the live clock: the answers arrive in real time), then fail
    // the rest and close the connection.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        closed = true
        if (connecting !== undefined) Deferred.doneUnsafe(connecting, Exit.fail(shutdownError))
        const conn = current
        if (conn !== undefined && conn.closed === undefined && conn.pendingCount > 0 && shutdownGrace > 0) {
          const pending = conn.pendingCount
          const deadline = Date.now() + shutdownGrace
          yield* Effect.logInfo(`closing: waiting up to ${shutdownGrace} ms for ${pending} calls in flight`)
          while (conn.closed === undefined && conn.pendingCount > 0 && Date.now() < deadline) {
            yield* Effect.sleep(Math.min(5, deadline - Date.now())).pipe(Effect.provideService(Clock.Clock, liveClock))
          }
          if (conn.pendingCount > 0) {
            yield* Effect.logWarning(
              `closing: ${conn.pendingCount} calls still unanswered after ${shutdownGrace} ms fail`
            )
          }
        }
        conn?.close(shutdownError)
        // The session reports the end of its connection (event, metric, log) before the
        // sessions scope interrupts it.
        if (conn !== undefined && sessionFiber !== undefined) {
          yield* Fiber.await(sessionFiber).pipe(
            Effect.timeout(1000),
            Effect.ignore,
            Effect.provideService(Clock.Clock, liveClock)
          )
        }
        yield* setState({ _tag: "Closed", error: shutdownError, final: true })
        untrackPending()
        yield* Effect.logDebug(`client for ${endpoint} closed`)
      }).pipe(
        Effect.annotateLogs(annotations),
        Effect.andThen(PubSub.shutdown(events)),
        Effect.andThen(PubSub.shutdown(quests))
      )
    )

    return {
      endpoint,
      connect: Effect.suspend(() => {
        // An explicit connect restarts an ended schedule.
        if (exhausted) {
          exhausted = false
          retryAt = 0
          failedCount = 0
          return Effect.flatMap(Schedule.toStep(reconnect), (fresh) => {
            step = fresh
            return Effect.asVoid(acquire(connectTimeout))
          })
        }
        return Effect.asVoid(acquire(connectTimeout))
      }),
      call,
      send,
      quests: Stream.fromPubSub(quests),
      events: Stream.fromPubSub(events),
      pendingCount: Effect.sync(() => current?.pendingCount ?? 0),
      state: SubscriptionRef.get(state),
      stateChanges: SubscriptionRef.changes(state)
    } satisfies FpnnClientService
  })
