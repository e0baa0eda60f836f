/**
 * The FPNN client: one multiplexed connection, connected lazily (or explicitly),
 * re-established on demand after a loss with the reference SDKs' regressive backoff.
 * A call is never resent behind the caller's back: a call in flight when the
 * connection drops fails with `FpnnConnectionError` and the caller decides.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Clock, Config, Context, Deferred, Duration, Effect, Exit, Fiber, Layer, PubSub, Result, type Scope, Stream } from "effect"
import { Socket } from "effect/socket"
import type { Payload } from "./Codec.js"
import { encodePayload } from "./Codec.js"
import { destroyOnRelease, FpnnConnection, socketError } from "./Connection.js"
import {
  connectionError,
  type FpnnCallError,
  type FpnnConnectionError,
  type FpnnOptionsError,
  type FpnnProtocolError,
  timeoutError,
  withSent
} from "./Errors.js"
import { clientKeyExchange, type Curve, keyQuestPayload, makeDecryptor, makeEncryptor, type Mode, type Strength } from "./Encryption.js"
import { encodeQuest } from "./Frame.js"
import { resolveCallTimeout, resolveClientOptions } from "./Options.js"
import { RegressiveBackoff, type RegressiveStrategy } from "./Reconnect.js"

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
  readonly reconnect?: RegressiveStrategy | undefined
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
  | { readonly _tag: "ReconnectScheduled"; readonly endpoint: string; readonly delayMillis: number; readonly failedCount: number }

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
}

export class FpnnClient extends Context.Service<FpnnClient, FpnnClientService>()("@rtm-voice/fpnn-transport/FpnnClient") {
  /** Options are checked when the layer is built: a bad one fails it with `FpnnOptionsError`. */
  static readonly layer = (options: FpnnClientOptions): Layer.Layer<FpnnClient, FpnnOptionsError> =>
    Layer.effect(FpnnClient, makeClient(options))

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
    const keepalive = resolved.keepalive
    const encryption = resolved.encryption
    const serverKey = encryption?.serverKey
    const r = resolved.reconnect
    const backoff = new RegressiveBackoff({
      failureWindow: r.failureWindowMillis,
      immediateRetries: r.immediateRetries,
      firstDelay: r.firstDelayMillis,
      maxDelay: r.maxDelayMillis,
      linearSteps: r.linearSteps
    })
    const scope = yield* Effect.scope
    const events = yield* PubSub.unbounded<ConnectionEvent>()
    const quests = yield* PubSub.unbounded<IncomingQuest>()

    let current: FpnnConnection | undefined
    let connecting: Deferred.Deferred<FpnnConnection, FpnnConnectionError> | undefined
    let lastFailure: FpnnConnectionError | undefined
    let retryAt = 0
    let closed = false

    const shutdownError = connectionError("Shutdown", { endpoint, sent: false })

    const emit = (event: ConnectionEvent) => PubSub.publishUnsafe(events, event)

    const onQuest = (conn: FpnnConnection, quest: { method: string; twoway: boolean }, payload: Payload) => {
      // Twoway pushes (the gateway's keep-alive "ping", message pushes) must be answered.
      if (quest.twoway) conn.answer(quest as never, {})
      PubSub.publishUnsafe(quests, { method: quest.method, payload, twoway: quest.twoway })
    }

    const lost = (error: FpnnConnectionError, connectionFailed: boolean) => {
      lastFailure = error
      const delay = backoff.failed(Date.now())
      retryAt = Date.now() + delay
      if (connectionFailed) emit({ _tag: "ConnectFailed", endpoint, error })
      if (delay > 0) emit({ _tag: "ReconnectScheduled", endpoint, delayMillis: delay, failedCount: backoff.failedCount })
    }

    // Reliability (RELIABILITY.md, reconnect storm): a lost connection is counted once, by
    // whichever sees it first — its session fiber, or the next `acquire`. The callers of
    // the calls it failed resume before the session fiber does; when only the session
    // recorded the loss, their next call redialled before the backoff knew of the failure,
    // so a peer that accepts and then breaks every connection was redialled on every call.
    const lossRecorded = new WeakSet<FpnnConnection>()
    const recordLoss = (conn: FpnnConnection, error: FpnnConnectionError) => {
      if (lossRecorded.has(conn)) return
      lossRecorded.add(conn)
      lost(error, false)
    }

    // Dial, key exchange, then serve the connection until it ends. Runs in the client's
    // scope, so closing the client interrupts it and closes the socket.
    const session = (ready: Deferred.Deferred<FpnnConnection, FpnnConnectionError>) =>
      Effect.gen(function*() {
        backoff.attemptStarted(Date.now())
        const socket = yield* NodeSocket.makeNet({ host, port, noDelay: true })
        const conn = new FpnnConnection({ endpoint, maxFrameBytes, maxQueuedBytes: resolved.maxQueuedBytes, onQuest })
        const opened = yield* Effect.gen(function*() {
          const { pull } = yield* socket.reader
          const writer = yield* socket.writer
          yield* destroyOnRelease(writer)
          const running = yield* Effect.forkScoped(conn.run(pull, writer))
          if (serverKey !== undefined) yield* keyExchange(conn)
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
          Effect.tapError((error) => Effect.sync(() => conn.close(error)))
        )
        const connectionId = ++connectionIds
        current = conn
        connecting = undefined
        lastFailure = undefined
        Deferred.doneUnsafe(ready, Exit.succeed(conn))
        emit({ _tag: "Connected", endpoint, connectionId, encrypted: serverKey !== undefined })
        if (keepalive !== undefined) yield* Effect.forkScoped(keepAlive(conn, keepalive))
        const exit = yield* Fiber.await(opened)
        const error = Exit.isSuccess(exit) ? exit.value : shutdownError
        if (current === conn) current = undefined
        emit({ _tag: "Closed", endpoint, connectionId, error })
        recordLoss(conn, error)
      }).pipe(
        Effect.scoped,
        Effect.catch((error: FpnnConnectionError) =>
          Effect.sync(() => {
            connecting = undefined
            lost(error, true)
            Deferred.doneUnsafe(ready, Exit.fail(error))
          })
        )
      )

    const keyExchange = (conn: FpnnConnection) =>
      Effect.suspend(() => {
        const { mode, strength } = encryption!
        const exchange = clientKeyExchange(serverKey!, strength)
        const request = conn.handshake(
          encodeQuest("*key", 1, encodePayload(keyQuestPayload(exchange.publicKeyXY, mode, strength) as never)),
          1,
          {
            encrypt: makeEncryptor(mode, exchange.key, exchange.iv),
            decrypt: makeDecryptor(mode, exchange.key, exchange.iv, maxFrameBytes)
          }
        )
        return request.pipe(
          Effect.mapError((e) =>
            // Undecryptable answer (wrong key): Connection.ts already explains it.
            e._tag === "FpnnConnectionError" && e.reason._tag === "Encryption"
              ? withSent(e, false)
              : connectionError("Encryption", {
                endpoint,
                // The *key quest is the transport's own: the caller's quest was never written.
                sent: false,
                detail: `the key exchange with ${endpoint} failed: ` +
                  (e._tag === "FpnnConnectionError" && e.reason._tag === "Closed"
                    ? "the server closed the connection without answering the *key quest (a server does so when it " +
                      "cannot accept the key exchange: encryption disabled, another curve, a bad key or strength)"
                    : e.message),
                cause: e
              })
          )
        )
      })

    const keepAlive = (conn: FpnnConnection, o: { readonly intervalMillis: number; readonly deadAfterMillis: number }) =>
      Effect.gen(function*() {
        const interval = o.intervalMillis
        const deadAfter = o.deadAfterMillis
        let pinging = false
        while (conn.closed === undefined) {
          yield* Effect.sleep(Math.max(10, Math.min(interval, deadAfter - interval) / 4))
          const silence = Date.now() - conn.lastReceivedAt
          if (silence >= deadAfter) {
            conn.close(
              connectionError("KeepaliveTimeout", { endpoint, sent: false, detail: `sent nothing for ${silence} ms` })
            )
          } else if (silence >= interval && !pinging) {
            pinging = true
            yield* Effect.forkScoped(
              conn.request("*ping", {}).pipe(Effect.ignore, Effect.ensuring(Effect.sync(() => (pinging = false))))
            )
          }
        }
      })

    const acquire: Effect.Effect<FpnnConnection, FpnnConnectionError> = Effect.suspend(() => {
      if (current !== undefined && current.closed === undefined) return Effect.succeed(current)
      if (closed) return Effect.fail(shutdownError)
      if (current !== undefined) recordLoss(current, current.closed!) // see recordLoss
      if (connecting !== undefined) return Deferred.await(connecting)
      if (lastFailure !== undefined && Date.now() < retryAt) {
        // Backing off: fail at once rather than hold the call until the retry time.
        const failure = lastFailure
        return Effect.fail(
          connectionError(failure.reason._tag, {
            endpoint,
            sent: false,
            detail: failure.detail,
            retryInMillis: retryAt - Date.now(),
            cause: failure
          })
        )
      }
      const ready = Deferred.makeUnsafe<FpnnConnection, FpnnConnectionError>()
      connecting = ready
      return Effect.forkIn(session(ready), scope).pipe(Effect.andThen(Deferred.await(ready)))
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
        // Otherwise (connecting, or a TestClock that must drive the timeout) the whole
        // call, connect included, runs under Effect.timeoutOrElse.
        if (conn !== undefined && conn.closed === undefined && fiber.getRef(Clock.Clock) === liveClock) {
          return conn.request(method, payload, timeout)
        }
        // Whether the timeout struck before or after the quest reached the socket.
        let queued: { readonly conn: FpnnConnection; readonly batch: number } | undefined
        const request = (c: FpnnConnection) =>
          c.request(method, payload, undefined, (batch) => (queued = { conn: c, batch }))
        return withTimeout(method, timeout, () => queued !== undefined && queued.conn.written(queued.batch))(
          conn !== undefined && conn.closed === undefined ? request(conn) : Effect.flatMap(acquire, request)
        )
      })
    }

    const send = (method: string, payload: Payload) => Effect.flatMap(acquire, (c) => c.send(method, payload))

    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        current?.close(shutdownError)
        if (connecting !== undefined) Deferred.doneUnsafe(connecting, Exit.fail(shutdownError))
      }).pipe(Effect.andThen(PubSub.shutdown(events)), Effect.andThen(PubSub.shutdown(quests)))
    )

    return {
      endpoint,
      connect: Effect.asVoid(acquire),
      call,
      send,
      quests: Stream.fromPubSub(quests),
      events: Stream.fromPubSub(events),
      pendingCount: Effect.sync(() => current?.pendingCount ?? 0)
    } satisfies FpnnClientService
  })
