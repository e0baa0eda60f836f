/**
 * The state a client's functions share: its environment (options, PubSubs, the state
 * ref, attributes) and the mutable fields of the connection and the backoff. One object
 * per client, made by `makeRuntime`; the call path reads `current` and `closed` on it.
 */
import {
  Clock,
  Context,
  type Deferred,
  Effect,
  type Fiber,
  Metric,
  PubSub,
  Schedule,
  Scope,
  SubscriptionRef
} from "effect"
import type { ConnectionEvent, ConnectionState, IncomingQuest } from "../../Client.js"
import { connectionError, type FpnnConnectionError } from "../../Errors.js"
import type { ResolvedClientOptions } from "../../Options.js"
import type { ReconnectInput, ReconnectSchedule } from "../../Reconnect.js"
import type { FpnnConnection } from "../connection/Connection.js"

/** A step of the reconnect schedule (`Schedule.toStep`). */
export type ReconnectStep = Effect.Success<ReturnType<typeof Schedule.toStep<unknown, ReconnectInput, never, never>>>

export interface ClientRuntime {
  readonly resolved: ResolvedClientOptions
  readonly endpoint: string
  readonly host: string
  readonly port: number
  readonly maxFrameBytes: number
  readonly connectTimeout: number
  readonly keepalive: ResolvedClientOptions["keepalive"]
  readonly encryption: ResolvedClientOptions["encryption"]
  readonly serverKey: NonNullable<ResolvedClientOptions["encryption"]>["serverKey"] | undefined
  readonly reconnect: ReconnectSchedule
  /** Sessions run here, a child of the client's scope (see `makeRuntime`). */
  readonly sessions: Scope.Closeable
  /** Milliseconds on the Clock of the fiber that built the client (TestClock in tests). */
  readonly now: () => number
  readonly events: PubSub.PubSub<ConnectionEvent>
  readonly quests: PubSub.PubSub<IncomingQuest>
  readonly state: SubscriptionRef.SubscriptionRef<ConnectionState>
  readonly annotations: Record<string, unknown>
  readonly metricAttributes: Record<string, string>
  readonly spanAttributes: Record<string, string | number>
  readonly shutdownError: FpnnConnectionError
  /** Connections whose loss was counted (see `recordLoss`). */
  readonly lossRecorded: WeakSet<FpnnConnection>
  readonly openedAt: WeakMap<FpnnConnection, { readonly dialedAt: number; readonly connectedAt: number }>

  current: FpnnConnection | undefined
  connecting: Deferred.Deferred<FpnnConnection, FpnnConnectionError> | undefined
  lastFailure: FpnnConnectionError | undefined
  /** The reconnect schedule's step; replaced by a fresh one when a connection proves good. */
  step: ReconnectStep
  failedCount: number
  retryAt: number
  exhausted: boolean
  closed: boolean
  sessionFiber: Fiber.Fiber<void> | undefined
}

/**
 * The runtime of a client with checked options, in its scope: idle, with a fresh
 * reconnect schedule and nothing pending.
 */
export const makeRuntime = (resolved: ResolvedClientOptions): Effect.Effect<ClientRuntime, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { endpoint, host, port, reconnect } = resolved
    // Sessions live in a child scope made before the client's drain finalizer: finalizers
    // run in reverse order, so the connection still runs while calls in flight drain.
    const sessions = yield* Scope.fork(yield* Effect.scope, "sequential")
    // The backoff runs on the Clock of the fiber that builds the client (TestClock in tests).
    const clock = yield* Clock.Clock
    const metricAttributes = { "server.address": host, "server.port": String(port) }
    return {
      resolved,
      endpoint,
      host,
      port,
      maxFrameBytes: resolved.maxFrameBytes,
      connectTimeout: resolved.connectTimeoutMillis,
      keepalive: resolved.keepalive,
      encryption: resolved.encryption,
      serverKey: resolved.encryption?.serverKey,
      reconnect,
      sessions,
      now: () => clock.currentTimeMillisUnsafe(),
      events: yield* PubSub.unbounded<ConnectionEvent>(),
      quests: yield* PubSub.unbounded<IncomingQuest>(),
      state: yield* SubscriptionRef.make<ConnectionState>({ _tag: "Idle" }),
      annotations: { endpoint, ...resolved.logAnnotations },
      metricAttributes,
      spanAttributes: { "rpc.system": "fpnn", "server.address": host, "server.port": port },
      shutdownError: connectionError("Shutdown", { endpoint, sent: false }),
      lossRecorded: new WeakSet(),
      openedAt: new WeakMap(),
      current: undefined,
      connecting: undefined,
      lastFailure: undefined,
      step: yield* Schedule.toStep(reconnect),
      failedCount: 0,
      retryAt: 0,
      exhausted: false,
      closed: false,
      sessionFiber: undefined
    }
  })

/** The default (live) Clock: a fiber whose Clock differs (TestClock) gets Effect timeouts. */
export const liveClock = Context.get(Context.empty(), Clock.Clock)

export const reasonName = (error: FpnnConnectionError): string => error.reason._tag

export const emit = (rt: ClientRuntime, event: ConnectionEvent): void => {
  PubSub.publishUnsafe(rt.events, event)
}

export const setState = (rt: ClientRuntime, next: ConnectionState) => SubscriptionRef.set(rt.state, next)

export const count = (
  rt: ClientRuntime,
  metric: Metric.Metric<number, Metric.CounterState<number>>,
  reason?: FpnnConnectionError
) =>
  Metric.update(
    Metric.withAttributes(
      metric,
      reason === undefined ? rt.metricAttributes : {
        ...rt.metricAttributes,
        "fpnn.reason": reasonName(reason)
      }
    ),
    1
  )
