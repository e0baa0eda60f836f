/**
 * `VoiceRoomClient`: the voice-room operations over one FPNN connection to the RTM
 * server gateway. Every method is derived from the operation table (Operations.ts):
 *
 *   args → validate (VoiceRoomValidationError, nothing sent)
 *        → fields in wire order + pid/sign/salt/ts, freshly signed per attempt
 *        → FpnnClient.call(wire method of the dialect, timeout)
 *        → error answer → RtmError;  OK answer → answer schema → result
 *
 * Each call runs in a span `VoiceRoom.<operation>` and updates the metrics of
 * Metrics.ts. Writes are never retried; reads are retried only when the options name a
 * `readRetry` schedule, and only for retryable failures (`isRetryable`).
 */
import { type Client, FpnnClient } from "@rtm-voice/fpnn-transport"
import { Config, Context, Duration, Effect, Layer, Redacted, Schedule, Stream } from "effect"
import { VoiceRoomConfigFileError, type VoiceRoomError, type VoiceRoomOptionsError } from "./Errors.js"
import { makeVoiceRoomClient } from "./internal/client.js"
import {
  makeConfigClient,
  makeLayerClient,
  VoiceRoomClientConfig,
  type VoiceRoomClientConfigOptions
} from "./internal/layerConfig.js"
import { makeVoiceRoomClientMock, type VoiceRoomClientMock } from "./internal/mock.js"
import { type ArgsOf, type Dialect, type Operation, type OperationName, Operations, type Param } from "./Operations.js"

export { RPC_SERVICE } from "./internal/call.js"
export { makeVoiceRoomClient } from "./internal/client.js"
export { VoiceRoomClientConfig, type VoiceRoomClientConfigOptions } from "./internal/layerConfig.js"
export { makeVoiceRoomClientMock, type VoiceRoomClientMock } from "./internal/mock.js"

/** Options of one call. */
export interface CallOptions {
  /** This call's timeout; else the client's `timeout`; else the transport's quest timeout. */
  readonly timeout?: Duration.Input | undefined
}

/**
 * Options of a pull: the call's, plus the RTC-era extras (`rtc` dialect only; an extra
 * given under `voice` fails validation). Always sent under `rtc`, with these defaults.
 */
export interface PullOptions extends CallOptions {
  /** Room type, sent as `type` 1 / 2. Default `voice`. */
  readonly type?: "voice" | "video" | undefined
  /** Range-voice hearing range, int32. Default 0. */
  readonly voiceRange?: number | undefined
  /** Cap on streams received at once, int32. Default 0. */
  readonly maxReceiveStreams?: number | undefined
}

/** The options type of each operation's last argument. */
export type OptionsOf<K extends OperationName> = K extends "pullUserIntoVoiceRoom" ? PullOptions : CallOptions

/** A client method derived from an operation: its arguments, then optional call options. */
export type OperationMethod<O, Options = CallOptions> = O extends
  Operation<string, infer P extends ReadonlyArray<Param>, infer A>
  ? (...args: [...ArgsOf<P>, options?: Options]) => Effect.Effect<A, VoiceRoomError>
  : never

/** The nine operations, one method each. */
export type VoiceRoomOperations = { readonly [K in OperationName]: OperationMethod<Operations[K], OptionsOf<K>> }

export interface VoiceRoomClientService extends VoiceRoomOperations {
  /** "host:port" of the gateway. */
  readonly endpoint: string
  readonly pid: number
  readonly dialect: Dialect
  /**
   * Any operation by name with untyped arguments (a CLI, a script): validated exactly as
   * the typed methods validate them.
   */
  readonly invoke: (
    name: OperationName,
    args: ReadonlyArray<unknown>,
    options?: CallOptions | PullOptions
  ) => Effect.Effect<unknown, VoiceRoomError>
  /** The connection's state now: connected, connecting, backing off until a time, closed with its reason. */
  readonly connectionState: Effect.Effect<Client.ConnectionState>
  /** The connection's state: the current one, then every change. */
  readonly connectionStateChanges: Stream.Stream<Client.ConnectionState>
  /**
   * The transport's connection events (connected, connect failed, closed, reconnect scheduled), from
   * subscription on.
   */
  readonly connectionEvents: Stream.Stream<Client.ConnectionEvent>
}

/** What the client needs besides a transport. */
export interface VoiceRoomClientOptions {
  /** Project id (int32). */
  readonly pid: number
  /** Project secret key: only ever hashed into `sign`, never sent, logged or traced. */
  readonly secret: Redacted.Redacted<string>
  /** Default timeout of a call. Default: the transport's quest timeout (5 s). */
  readonly timeout?: Duration.Input | undefined
  /** `voice` (default): VoiceRoom-era method names; `rtc`: RTC-era names. */
  readonly dialect?: Dialect | undefined
  /**
   * Retry policy for reads (list, members, count) on retryable failures (rate limit,
   * busy server, timeout, lost connection). Each attempt is signed anew. Writes are
   * never retried. Default: no retry.
   */
  readonly readRetry?: Schedule.Schedule<unknown, VoiceRoomError> | undefined
  /**
   * `"lazy"` (default): the first call connects. `"eager"`: building the client connects
   * and verifies pid and secret with one cheap read (`getVoiceRoomMemberCount`), so a
   * misconfigured service fails at boot with the typed error (`Refused`,
   * `InvalidSignature`, ...).
   */
  readonly connect?: "lazy" | "eager" | undefined
}

/** Options of `VoiceRoomClient.layer`: the client's, the endpoint and the transport's. */
export interface VoiceRoomClientLayerOptions extends VoiceRoomClientOptions {
  /** "host:port" of the RTM server gateway. */
  readonly endpoint: string
  /** TCP connect (plus key exchange) timeout. Default: the transport's (5 s). */
  readonly connectTimeout?: Duration.Input | undefined
  /** Further transport options (keep-alive, reconnect, encryption, frame size...). */
  readonly transport?: Omit<Client.FpnnClientOptions, "endpoint" | "connectTimeout"> | undefined
}

/**
 * What the startup check can fail with, in a Layer's error channel: the errors of a call
 * when `connect` may be `"eager"`, nothing otherwise.
 */
export type StartupCheckError<O> = O extends { readonly connect?: infer C } ? EagerError<C> : never
type EagerError<C> = C extends "eager" ? VoiceRoomError : never

export class VoiceRoomClient extends Context.Service<VoiceRoomClient, VoiceRoomClientService>()(
  "@rtm-voice/voice-room/VoiceRoomClient"
) {
  /** On the `FpnnClient` in context (share one connection, or bring your own options). */
  static readonly layerFromTransport = <const O extends VoiceRoomClientOptions>(
    options: O
  ): Layer.Layer<VoiceRoomClient, VoiceRoomOptionsError | StartupCheckError<O>, FpnnClient> =>
    Layer.effect(
      VoiceRoomClient,
      Effect.gen(function*() {
        return yield* makeVoiceRoomClient(yield* FpnnClient, options)
      })
    ) as Layer.Layer<VoiceRoomClient, VoiceRoomOptionsError | StartupCheckError<O>, FpnnClient>

  /**
   * A mock for tests of code that uses the client, from partial implementations:
   * `VoiceRoomClient.layerMock({ getVoiceRoomMemberCount: () => Effect.succeed(3) })`.
   * Operations not given die with a message naming them. To test against the real
   * protocol instead, use `VoiceRoomEmulator.layerClient` (@rtm-voice/voice-room-emulator).
   */
  static readonly layerMock = (mock: VoiceRoomClientMock): Layer.Layer<VoiceRoomClient> =>
    Layer.succeed(VoiceRoomClient, makeVoiceRoomClientMock(mock))

  /**
   * With its own FPNN client to `options.endpoint`, closed with the layer. Every option
   * (the transport's included) is checked when the layer is built: a bad one fails it
   * with `VoiceRoomOptionsError` naming it, before any fiber or socket exists.
   */
  static readonly layer = <const O extends VoiceRoomClientLayerOptions>(
    options: O
  ): Layer.Layer<VoiceRoomClient, VoiceRoomOptionsError | StartupCheckError<O>> =>
    Layer.effect(VoiceRoomClient, makeLayerClient(options)) as Layer.Layer<
      VoiceRoomClient,
      VoiceRoomOptionsError | StartupCheckError<O>
    >

  /**
   * From configuration, as `@effect/sql-pg`'s `layerConfig`: `config` is a `Config.Wrap`
   * (each field a plain value or a `Config`, or one `Config` of the whole); the default
   * reads the `RTM_*` environment (see `VoiceRoomClientConfig`), and its errors name the
   * variable. The server key file is read through effect's `FileSystem`: the one in
   * context when there is one, else Node's (`@effect/platform-node`'s NodeFileSystem): an I/O failure is a
   * `VoiceRoomConfigFileError`, a bad key a
   * `VoiceRoomOptionsError`. `extra` adds what configuration cannot express (a retry
   * schedule, further transport options).
   */
  static readonly layerConfig = <
    const X extends Pick<VoiceRoomClientLayerOptions, "readRetry" | "transport" | "connect"> = {}
  >(
    config: Config.Wrap<VoiceRoomClientConfigOptions> = VoiceRoomClientConfig,
    extra?: X
  ): Layer.Layer<
    VoiceRoomClient,
    Config.ConfigError | VoiceRoomOptionsError | VoiceRoomConfigFileError | StartupCheckError<X>
  > => {
    return Layer.effect(VoiceRoomClient, makeConfigClient(config, extra)) as Layer.Layer<
      VoiceRoomClient,
      Config.ConfigError | VoiceRoomOptionsError | VoiceRoomConfigFileError | StartupCheckError<X>
    >
  }
}
