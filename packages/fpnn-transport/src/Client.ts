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
import {
  Config,
  Context,
  Duration,
  Effect,
  type Exit,
  Layer,
  Scope,
  Stream,
  SubscriptionRef,
  type Tracer
} from "effect"
import type { Payload } from "./Codec.js"
import type { Curve, Mode, Strength } from "./Encryption.js"
import {
  type FpnnCallError,
  type FpnnConnectionError,
  type FpnnOptionsError,
  type FpnnProtocolError
} from "./Errors.js"
import { makeCalls, NotStarted } from "./internal/client/Call.js"
import { gracefulClose } from "./internal/client/Close.js"
import { makeRuntime } from "./internal/client/Runtime.js"
import { connectNow } from "./internal/client/Session.js"
import * as FpnnMetrics from "./Metrics.js"
import { resolveClientOptions } from "./Options.js"
import { type ReconnectSchedule, type RegressiveStrategy } from "./Reconnect.js"

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
  /**
   * Largest frame accepted from the server, and sent to it (a larger quest fails unsent with
   * FpnnProtocolError "Oversized"). Default 8 MiB.
   */
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
  /**
   * The span this call belongs to, when the caller did not make it the fiber's parent span:
   * a call that has to connect first runs the connect (its span and logs) under it. A layer
   * above the transport passes its call span here instead of providing it to every call.
   */
  readonly span?: Tracer.AnySpan | undefined
}

/** A quest the server pushed on our connection. Twoway ones are answered with `{}`. */
export interface IncomingQuest {
  readonly method: string
  readonly payload: Payload
  readonly twoway: boolean
}

export type ConnectionEvent =
  | {
    readonly _tag: "Connected"
    readonly endpoint: string
    readonly connectionId: number
    readonly encrypted: boolean
  }
  | { readonly _tag: "ConnectFailed"; readonly endpoint: string; readonly error: FpnnConnectionError }
  | {
    readonly _tag: "Closed"
    readonly endpoint: string
    readonly connectionId: number
    readonly error: FpnnConnectionError
  }
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

export { NotStarted }

/**
 * How `startUnsafe` ends: the cleanup to run if the calling fiber is interrupted,
 * `undefined` when the call already failed (resume has been called), or `NotStarted`.
 */
export type Started = Effect.Effect<void> | undefined | typeof NotStarted

/** `FpnnClientService.call`: a twoway quest, with its connected path as `startUnsafe`. */
export interface Call {
  (method: string, payload: Payload, options?: CallOptions): Effect.Effect<Payload, FpnnCallError | FpnnOptionsError>
  /**
   * This call's connected path without an Effect around it, for a layer above the
   * transport that runs its whole call in one `Effect.callback` of its own (voice-room
   * does: every primitive per call shows at 1,024 in flight, BENCHMARKS.md). It belongs to
   * the function: a service whose `call` is replaced (a wrapper, a test double) has none,
   * and the layer above calls the replacement.
   *
   * Run it inside that callback's register (it reads the calling fiber). When the client
   * is connected and on the live clock it queues the quest now and returns the cleanup for
   * the callback to return; `resume` is then called exactly once: with the answer, the
   * typed error (timeout, loss, remote error, as `call` fails), or an interruption once the
   * cleanup has run. `timeoutMillis` is a checked number of milliseconds (Infinity: none;
   * undefined: `questTimeout`). Otherwise (connecting, backing off, closed, a TestClock) it
   * returns `NotStarted` and does nothing: the caller runs `call`, which handles those.
   */
  readonly startUnsafe?: (
    method: string,
    payload: Payload,
    timeoutMillis: number | undefined,
    resume: (exit: Exit.Exit<Payload, FpnnCallError>) => void
  ) => Started
}

export interface FpnnClientService {
  readonly endpoint: string
  /** Connects now (a no-op when connected); calls otherwise connect lazily. */
  readonly connect: Effect.Effect<void, FpnnConnectionError>
  /** A twoway quest: the answer's payload, or a tagged error. */
  readonly call: Call
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

export class FpnnClient
  extends Context.Service<FpnnClient, FpnnClientService>()("@rtm-voice/fpnn-transport/FpnnClient")
{
  /** Options are checked when the layer is built: a bad one fails it with `FpnnOptionsError`. */
  static readonly layer = (options: FpnnClientOptions): Layer.Layer<FpnnClient, FpnnOptionsError> =>
    Layer.effect(FpnnClient, makeClient(options))

  /** Builds a client in the current scope; `makeClient`. */
  static readonly make = (
    options: FpnnClientOptions
  ): Effect.Effect<FpnnClientService, FpnnOptionsError, Scope.Scope> => makeClient(options)

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
      // Any other text is handed on as a Duration string: the option check rejects it,
      // naming the option, when Duration cannot read it.
      return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed as Duration.Input
    })
  )

/** The environment `FpnnClient.layerConfig()` reads by default. */
export const FpnnClientConfig: Config.Wrap<FpnnClientOptions> = {
  endpoint: Config.String("FPNN_ENDPOINT"),
  questTimeout: DurationConfig("FPNN_TIMEOUT").pipe(Config.withDefault(Duration.seconds(5))),
  connectTimeout: DurationConfig("FPNN_CONNECT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(5)))
}

/**
 * Builds a client. Every option is checked first, before any fiber or socket exists: a
 * bad one fails with `FpnnOptionsError` naming it (see Options.ts).
 */
export const makeClient = (
  options: FpnnClientOptions
): Effect.Effect<FpnnClientService, FpnnOptionsError, Scope.Scope> =>
  Effect.gen(function*() {
    const resolved = yield* Effect.fromResult(resolveClientOptions(options))
    const rt = yield* makeRuntime(resolved)
    const untrackPending = FpnnMetrics.trackPending(
      yield* Effect.context<never>(),
      rt.metricAttributes,
      () => rt.current?.pendingCount ?? 0
    )
    const { call, send } = makeCalls(rt, resolved.questTimeoutMillis)

    // Graceful close (Close.ts); made after the sessions scope, so it runs before it closes.
    yield* Effect.addFinalizer(() => gracefulClose(rt, resolved.shutdownGraceMillis, untrackPending))

    return {
      endpoint: rt.endpoint,
      connect: connectNow(rt),
      call,
      send,
      quests: Stream.fromPubSub(rt.quests),
      events: Stream.fromPubSub(rt.events),
      pendingCount: Effect.sync(() => rt.current?.pendingCount ?? 0),
      state: SubscriptionRef.get(rt.state),
      stateChanges: SubscriptionRef.changes(rt.state)
    } satisfies FpnnClientService
  })
