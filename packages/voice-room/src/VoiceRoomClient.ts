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
import {
  Client,
  type Encryption,
  type FpnnCallError,
  FpnnClient,
  type FpnnOptionsError,
  Options
} from "@rtm-voice/fpnn-transport"
import {
  Cause,
  Clock,
  Config,
  Context,
  Duration,
  Effect,
  type Fiber,
  FileSystem,
  Layer,
  Metric,
  Option,
  Redacted,
  Result,
  Schedule,
  Schema,
  SchemaIssue,
  Stream,
  Tracer
} from "effect"
import {
  isRetryable,
  VoiceRoomConfigFileError,
  type VoiceRoomOptionsError,
  voiceRoomOptionsError,
  rtmErrorFromRemote,
  decodeError as makeDecodeError,
  type VoiceRoomError,
  VoiceRoomValidationError
} from "./Errors.js"
import * as Metrics from "./Metrics.js"
import {
  type AnyOperation,
  type ArgsOf,
  buildRequest,
  type Dialect,
  type Operation,
  type OperationName,
  operationNames,
  Operations,
  type Param
} from "./Operations.js"
import { authFields, nextSalt, toUnixSeconds } from "./Signing.js"

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
  /** The transport's connection events (connected, connect failed, closed, reconnect scheduled), from subscription on. */
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

const issuePath = (issue: SchemaIssue.Issue): { field: string; detail: string } => {
  const first = SchemaIssue.makeFormatterStandardSchemaV1()(issue).issues[0]
  const path = (first?.path ?? []).map((k) => (typeof k === "object" && k !== null && "key" in k ? k.key : k))
  const field = path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("")
  return { field, detail: first?.message ?? "invalid" }
}

/** The same rejection, as the voice-room client reports it (`prefix` for transport options). */
const fromTransport = (e: FpnnOptionsError, prefix = ""): VoiceRoomOptionsError =>
  voiceRoomOptionsError(`${prefix}${e.option}`, e.reason._tag, e.detail)

interface ResolvedVoiceRoomOptions {
  readonly pid: number
  readonly secret: Redacted.Redacted<string>
  readonly dialect: Dialect
  /** Milliseconds (Infinity = none); undefined = the transport's quest timeout. */
  readonly timeoutMillis: number | undefined
  readonly readRetry: Schedule.Schedule<unknown, VoiceRoomError> | undefined
  readonly connect: "lazy" | "eager"
}

/** `rpc.service` of every span and metric series. */
export const RPC_SERVICE = "VoiceRoom"

const serverOf = (endpoint: string): { address: string; port: number } => {
  const parsed = Options.parseEndpoint(endpoint)
  return Result.isSuccess(parsed)
    ? { address: parsed.success.host, port: parsed.success.port }
    : { address: endpoint, port: 0 }
}

/** The reason's name: a tagged reason's `_tag`, a string reason, else the error's tag. */
const reasonOf = (e: { readonly _tag: string }): string => {
  const reason = (e as { reason?: unknown }).reason
  if (typeof reason === "string") return reason
  if (typeof reason === "object" && reason !== null && "_tag" in reason) return String(reason._tag)
  return e._tag
}

/** The room id the startup check reads (a missing room answers count 0). */
const STARTUP_CHECK_ROOM = 1

/**
 * Checks the client's options once, at build, for any input (untyped callers, Proxies,
 * throwing getters): a bad one is a `VoiceRoomOptionsError` naming it.
 */
const resolveOptions = (options: unknown): Result.Result<ResolvedVoiceRoomOptions, VoiceRoomOptionsError> =>
  Result.mapError(
    Options.check("options", (): ResolvedVoiceRoomOptions => {
      const o = Options.record(options, "options")
      const pid = Options.field(o, "pid", "pid")
      if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0 || pid > 0x7fffffff) {
        Options.rejectOption(
          "pid",
          pid === undefined ? "Missing" : typeof pid === "number" ? "OutOfRange" : "WrongType",
          `pid must be a positive int32 project id, got ${Options.show(pid)}`
        )
      }
      const secret = Options.field(o, "secret", "secret")
      if (!(Redacted.isRedacted(secret) || typeof secret === "string")) {
        Options.rejectOption("secret", secret === undefined ? "Missing" : "WrongType", "secret must be a Redacted string")
      }
      // Untyped callers may hand over a plain string: wrap it so it cannot leak by printing.
      const redacted = typeof secret === "string" ? Redacted.make(secret) : secret as Redacted.Redacted<string>
      if (Redacted.value(redacted) === "") Options.rejectOption("secret", "OutOfRange", "secret must not be empty")
      const dialect = Options.field(o, "dialect", "dialect")
      const timeout = Options.field(o, "timeout", "timeout")
      const readRetry = Options.field(o, "readRetry", "readRetry")
      const connect = Options.field(o, "connect", "connect")
      if (readRetry !== undefined && !Schedule.isSchedule(readRetry)) {
        Options.rejectOption("readRetry", "WrongType", `readRetry must be a Schedule, got ${Options.show(readRetry)}`)
      }
      return {
        pid: pid as number,
        secret: redacted,
        dialect: dialect === undefined ? "voice" : Options.oneOf(dialect, "dialect", ["voice", "rtc"] as const),
        timeoutMillis: timeout === undefined ? undefined : Options.durationMillis(timeout, "timeout", { infinite: true }),
        readRetry: readRetry as Schedule.Schedule<unknown, VoiceRoomError> | undefined,
        connect: connect === undefined ? "lazy" : Options.oneOf(connect, "connect", ["lazy", "eager"] as const)
      }
    }),
    (e) => fromTransport(e)
  )

/**
 * What the startup check can fail with, in a Layer's error channel: the errors of a call
 * when `connect` may be `"eager"`, nothing otherwise.
 */
export type StartupCheckError<O> = O extends { readonly connect?: infer C } ? EagerError<C> : never
type EagerError<C> = C extends "eager" ? VoiceRoomError : never

/** Builds the client on an existing FPNN client. */
export const makeVoiceRoomClient = (
  transport: FpnnClient["Service"],
  options: VoiceRoomClientOptions
): Effect.Effect<VoiceRoomClientService, VoiceRoomOptionsError | VoiceRoomError> =>
  Effect.suspend((): Effect.Effect<VoiceRoomClientService, VoiceRoomOptionsError | VoiceRoomError> => {
    const resolved = resolveOptions(options)
    if (Result.isFailure(resolved)) return Effect.fail(resolved.failure)
    const { dialect, pid, readRetry, secret } = resolved.success
    const defaultTimeout = resolved.success.timeoutMillis

    // Everything that does not change from call to call is prepared once per operation
    // (BENCHMARKS.md, "voice-room hot path"): the metric series (a fresh
    // `Metric.withAttributes` per call re-serialized its key every time), the span
    // options (no stack trace capture: a span per call must stay cheap) and the answer
    // decoder (synchronous: the answer schemas have no effects).
    const prepared = new Map<AnyOperation, ReturnType<typeof prepare>>()
    const server = serverOf(transport.endpoint)
    const prepare = (operation: AnyOperation) => {
      const method = operation.wire[dialect]
      // OpenTelemetry RPC conventions, plus the RTM attributes (README, Observability).
      const attributes: Record<string, string> = {
        "rpc.system": "fpnn",
        "rpc.service": RPC_SERVICE,
        "rpc.method": method,
        "server.address": server.address,
        "server.port": String(server.port),
        "rtm.operation": operation.name,
        "rtm.dialect": dialect
      }
      const decode = Schema.decodeUnknownResult(operation.answer[dialect] as Schema.Codec<unknown, unknown>)
      const decodeError = (issue: SchemaIssue.Issue) => {
        const { detail, field } = issuePath(issue)
        return makeDecodeError(operation.name, method, field, detail)
      }
      const toError = (e: FpnnCallError | FpnnOptionsError): VoiceRoomError =>
        e._tag === "FpnnRemoteError"
          ? rtmErrorFromRemote(operation.name, e)
          : e._tag === "FpnnOptionsError"
          ? new VoiceRoomValidationError({ operation: operation.name, parameter: `options.${e.option}`, message: e.message })
          : e
      // One failure series per (error type, reason), made on the first such failure.
      const failureSeries = new Map<string, Metric.Metric<number, Metric.CounterState<number>>>()
      return {
        operation,
        method,
        attributes,
        span: `VoiceRoom.${operation.name}`,
        spanOptions: {
          kind: "client",
          attributes: { ...attributes, "server.port": server.port, "rtm.method": method, "rtm.pid": pid },
          captureStackTrace: false
        } satisfies Tracer.SpanOptions,
        calls: Metric.withAttributes(Metrics.calls, attributes),
        latency: Metric.withAttributes(Metrics.latency, attributes),
        failures: (type: string, reason: string) => {
          const key = `${type}/${reason}`
          let series = failureSeries.get(key)
          if (series === undefined) {
            series = Metric.withAttributes(Metrics.failures, { ...attributes, "error.type": type, "rtm.reason": reason })
            failureSeries.set(key, series)
          }
          return series
        },
        // One attempt = one fresh salt and ts: a retry must not look like a replay (200006).
        // The clock is read from the fiber (TestClock in tests), without an Effect step.
        attempt: (fields: Record<string, unknown>, timeout: Client.CallOptions) =>
          Effect.withFiber((fiber) =>
            Effect.matchEffect(
              transport.call(
                method,
                signedPayload(method, toUnixSeconds(fiber.getRef(Clock.Clock).currentTimeMillisUnsafe()), fields),
                timeout
              ),
              {
                onFailure: (e): Effect.Effect<never, VoiceRoomError> => Effect.fail(toError(e)),
                onSuccess: (answer): Effect.Effect<unknown, VoiceRoomError> => {
                  const result = decode(answer)
                  return result._tag === "Success" ? Effect.succeed(result.success) : Effect.fail(decodeError(result.failure.issue))
                }
              }
            )
          )
      }
    }

    // The four authentication fields, then the operation's, in one object (a spread of two
    // objects per call showed in the profile).
    const signedPayload = (method: string, ts: number, fields: Record<string, unknown>): Record<string, unknown> => {
      const payload: Record<string, unknown> = authFields(pid, secret, method, nextSalt(), ts)
      for (const key in fields) payload[key] = fields[key]
      return payload
    }
    const defaultCallOptions: Client.CallOptions = { timeout: defaultTimeout }

    const invoke = (operation: AnyOperation, args: ReadonlyArray<unknown>, callOptions: unknown) => {
      let p = prepared.get(operation)
      if (p === undefined) prepared.set(operation, p = prepare(operation))
      // Metrics are updated synchronously on the fiber's context, at the start and at the
      // exit of the call: the same series `Metric.update`/`trackDuration`/`tapError` would
      // update, without three Effect steps per call.
      const observed = Effect.withFiber((fiber): Effect.Effect<unknown, VoiceRoomError> => {
        const context = fiber.context
        const clock = fiber.getRef(Clock.Clock)
        const start = clock.currentTimeNanosUnsafe()
        p.calls.updateUnsafe(1, context)
        return Effect.onExitPrimitive(program(p, fiber, args, callOptions), (exit) => {
          p.latency.updateUnsafe(Duration.nanos(clock.currentTimeNanosUnsafe() - start), context)
          if (exit._tag === "Failure") {
            const error = Cause.findErrorOption(exit.cause)
            if (Option.isSome(error)) {
              const e = error.value
              const reason = reasonOf(e)
              p.failures(e._tag, reason).updateUnsafe(1, context)
              // The failure on this call's span (the fiber's parent span here).
              const span = Context.getOption(context, Tracer.ParentSpan)
              if (Option.isSome(span) && span.value._tag === "Span") {
                span.value.attribute("error.type", e._tag)
                span.value.attribute("rtm.reason", reason)
                if (e._tag === "RtmError") span.value.attribute("rtm.code", e.code)
                if ("sent" in e) span.value.attribute("rtm.sent", (e as { sent: boolean }).sent)
              }
            }
          }
          return undefined
        })
      })
      return Effect.withSpan(observed, p.span, p.spanOptions)
    }

    const program = (
      p: ReturnType<typeof prepare>,
      fiber: Fiber.Fiber<unknown, unknown>,
      args: ReadonlyArray<unknown>,
      callOptions: unknown
    ): Effect.Effect<unknown, VoiceRoomError> => {
      const operation = p.operation
      if (callOptions !== undefined && (typeof callOptions !== "object" || callOptions === null)) {
        return Effect.fail(
          new VoiceRoomValidationError({
            operation: operation.name,
            parameter: "options",
            message: `${operation.name}: the last argument must be an options object ({ timeout }), got ${typeof callOptions}`
          })
        )
      }
      let fields: Record<string, unknown> | VoiceRoomValidationError
      try {
        fields = buildRequest(operation, dialect, args, callOptions as Readonly<Record<string, unknown>> | undefined)
      } catch (e) {
        // An exotic argument (a Proxy whose traps throw, a getter that throws): still a typed failure.
        fields = new VoiceRoomValidationError({
          operation: operation.name,
          parameter: "args",
          message: `${operation.name}: an argument could not be read: ${e instanceof Error ? e.message : "it threw"}`
        })
      }
      if (fields instanceof VoiceRoomValidationError) return Effect.fail(fields)
      const rid = fields["rid"]
      if (rid !== undefined) {
        // The room id on this call's span (the span is the fiber's parent span here).
        const span = Context.getOption(fiber.context, Tracer.ParentSpan)
        if (Option.isSome(span) && span.value._tag === "Span") span.value.attribute("rtm.room_id", String(rid))
      }
      let timeout = defaultCallOptions
      if (callOptions !== undefined) {
        // Checked before anything is sent: 0, negative, NaN, "banana" or a Symbol is a typed failure.
        const checked = Options.resolveCallTimeout(callOptions, -1) // -1: no timeout given
        if (Result.isFailure(checked)) {
          return Effect.fail(
            new VoiceRoomValidationError({
              operation: operation.name,
              parameter: `options.${checked.failure.option}`,
              message: `${operation.name}: ${checked.failure.message}`
            })
          )
        }
        const millis = checked.success
        timeout = millis === -1 ? defaultCallOptions : { timeout: millis }
      }
      return operation.write || readRetry === undefined
        ? p.attempt(fields, timeout)
        : Effect.retry(p.attempt(fields, timeout), { schedule: readRetry, while: isRetryable })
    }

    const methods: Record<string, (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, VoiceRoomError>> = {}
    for (const name of operationNames) {
      const operation = Operations[name] as AnyOperation
      const arity = operation.params.length
      // buildRequest reads only the first `arity` arguments: no slice needed.
      methods[name] = (...args) => invoke(operation, args, args[arity])
    }

    const service: VoiceRoomClientService = {
      ...(methods as unknown as VoiceRoomOperations),
      endpoint: transport.endpoint,
      pid,
      dialect,
      invoke: (name, args, callOptions) => {
        // Own keys only (RELIABILITY.md, bad input): `Operations["toString"]`, "constructor"
        // or "__proto__" are inherited from Object and used to reach `operation.wire` as if
        // they were operations — a TypeError thrown out of invoke() instead of a typed error.
        const operation = Object.hasOwn(Operations, name) ? Operations[name] as AnyOperation : undefined
        if (operation === undefined) {
          return Effect.fail(
            new VoiceRoomValidationError({
              operation: String(name),
              parameter: "operation",
              message: `unknown operation ${JSON.stringify(name)}; known: ${operationNames.join(", ")}`
            })
          )
        }
        // Untyped callers: `args` null/undefined made buildRequest throw (a defect, not a typed error).
        if (!Array.isArray(args)) {
          return Effect.fail(
            new VoiceRoomValidationError({
              operation: operation.name,
              parameter: "args",
              message: `${operation.name}: the arguments must be an array, got ${args === null ? "null" : typeof args}`
            })
          )
        }
        return invoke(operation, args, callOptions)
      },
      connectionState: transport.state,
      connectionStateChanges: transport.stateChanges,
      connectionEvents: transport.events
    }
    if (resolved.success.connect !== "eager") return Effect.succeed(service)
    // The startup check: connect (its own span and logs), then one signed read.
    return transport.connect.pipe(
      Effect.andThen(service.getVoiceRoomMemberCount(STARTUP_CHECK_ROOM)),
      Effect.tap(() => Effect.logDebug("voice-room startup check passed")),
      Effect.tapError((e) => Effect.logError(`voice-room startup check failed: ${e.message}`)),
      Effect.annotateLogs({ endpoint: transport.endpoint, pid }),
      Effect.withSpan("VoiceRoom.startupCheck", {
        kind: "client",
        attributes: { "rpc.system": "fpnn", "rpc.service": RPC_SERVICE, "rtm.pid": pid }
      }, { captureStackTrace: false }),
      Effect.as(service)
    )
  })

/**
 * What `VoiceRoomClient.layerConfig` reads: the layer's options that configuration can
 * express, and the path of the server's public key (read through effect's FileSystem).
 */
export interface VoiceRoomClientConfigOptions {
  readonly endpoint: string
  readonly pid: number
  readonly secret: Redacted.Redacted<string>
  readonly timeout?: Duration.Input | undefined
  readonly dialect?: Dialect | undefined
  readonly connectTimeout?: Duration.Input | undefined
  /** Path of the server's public key (PEM, DER or a raw point); absent = a plain connection. */
  readonly serverKeyFile?: string | undefined
  readonly encryptionMode?: Encryption.Mode | undefined
  readonly encryptionStrength?: Encryption.Strength | undefined
}

/**
 * The environment `VoiceRoomClient.layerConfig()` reads by default: `RTM_ENDPOINT`,
 * `RTM_PID`, `RTM_SECRET` (redacted), optional `RTM_TIMEOUT` and `RTM_CONNECT_TIMEOUT`
 * (a Duration string such as "5 seconds", or milliseconds), `RTM_DIALECT` (`voice` |
 * `rtc`), and for an encrypted connection `RTM_SERVER_KEY` (a path),
 * `RTM_ENCRYPTION_MODE` (`package` | `stream`), `RTM_ENCRYPTION_STRENGTH` (`128` | `256`).
 */
export const VoiceRoomClientConfig: Config.Wrap<VoiceRoomClientConfigOptions> = {
  endpoint: Config.String("RTM_ENDPOINT"),
  pid: Config.Int("RTM_PID"),
  secret: Config.Redacted("RTM_SECRET"),
  timeout: Client.DurationConfig("RTM_TIMEOUT").pipe(Config.option, Config.map(Option.getOrUndefined)),
  dialect: Config.Literals(["voice", "rtc"], "RTM_DIALECT").pipe(Config.withDefault("voice" as const)),
  connectTimeout: Client.DurationConfig("RTM_CONNECT_TIMEOUT").pipe(Config.option, Config.map(Option.getOrUndefined)),
  serverKeyFile: Config.String("RTM_SERVER_KEY").pipe(Config.option, Config.map(Option.getOrUndefined)),
  encryptionMode: Config.Literals(["package", "stream"], "RTM_ENCRYPTION_MODE").pipe(
    Config.withDefault("package" as const)
  ),
  encryptionStrength: Config.Literals(["128", "256"], "RTM_ENCRYPTION_STRENGTH").pipe(
    Config.withDefault("128" as const),
    Config.map((s): Encryption.Strength => (s === "256" ? 256 : 128))
  )
}

/** The variable behind each option of the default configuration: errors name what the user set. */
const envNames: Readonly<Record<string, string>> = {
  endpoint: "RTM_ENDPOINT",
  pid: "RTM_PID",
  secret: "RTM_SECRET",
  timeout: "RTM_TIMEOUT",
  dialect: "RTM_DIALECT",
  connectTimeout: "RTM_CONNECT_TIMEOUT",
  "transport.encryption.serverKey": "RTM_SERVER_KEY",
  "transport.encryption.mode": "RTM_ENCRYPTION_MODE",
  "transport.encryption.strength": "RTM_ENCRYPTION_STRENGTH"
}

const transportKeys = [
  "questTimeout",
  "maxFrameBytes",
  "maxQueuedBytes",
  "reconnect",
  "keepalive",
  "encryption",
  "shutdownGrace",
  "logAnnotations"
] as const

/** The transport's options of a layer: `transport`, plus `endpoint` and `connectTimeout`; read safely. */
const transportOptionsOf = (options: unknown): Result.Result<Client.FpnnClientOptions, VoiceRoomOptionsError> =>
  Result.mapError(
    Options.check("transport", (): Client.FpnnClientOptions => {
      const o = Options.record(options, "options")
      const t = Options.field(o, "transport", "transport")
      const out: Record<string, unknown> = {
        endpoint: Options.field(o, "endpoint", "endpoint"),
        connectTimeout: Options.field(o, "connectTimeout", "connectTimeout")
      }
      if (t !== undefined) {
        const transport = Options.record(t, "transport")
        for (const key of transportKeys) out[key] = Options.field(transport, key, `transport.${key}`)
      }
      return out as unknown as Client.FpnnClientOptions
    }),
    (e) => fromTransport(e)
  )

/** Options the transport names itself (`keepalive.interval`) are `transport.*` options of the layer. */
const transportOption = (e: FpnnOptionsError): VoiceRoomOptionsError =>
  fromTransport(e, e.option === "endpoint" || e.option === "connectTimeout" || e.option.startsWith("transport") ? "" : "transport.")

const renameOption = (names: Readonly<Record<string, string>>) =>
<E>(e: E | VoiceRoomOptionsError): E | VoiceRoomOptionsError =>
  e instanceof Object && (e as { _tag?: unknown })._tag === "VoiceRoomOptionsError" &&
    Object.hasOwn(names, (e as VoiceRoomOptionsError).option)
    ? voiceRoomOptionsError(
      names[(e as VoiceRoomOptionsError).option]!,
      (e as VoiceRoomOptionsError).reason._tag,
      (e as VoiceRoomOptionsError).detail
    )
    : e

/**
 * The FileSystem in context, else Node's. Loaded on demand: only a configuration that names
 * a key file needs it, and a CLI start should not pay for the module.
 */
const fileSystem: Effect.Effect<FileSystem.FileSystem> = Effect.flatMap(
  Effect.serviceOption(FileSystem.FileSystem),
  (fs) =>
    Option.isSome(fs)
      ? Effect.succeed(fs.value)
      : Effect.promise(() => import("@effect/platform-node/NodeFileSystem")).pipe(
        Effect.flatMap((node) => Effect.provide(Effect.service(FileSystem.FileSystem), node.layer))
      )
)

const makeLayerClient = (options: VoiceRoomClientLayerOptions) =>
  Effect.gen(function*() {
    // The client's own options first: a bad pid fails before the transport is built.
    const own = resolveOptions(options)
    if (Result.isFailure(own)) return yield* Effect.fail(own.failure)
    const transportOptions = yield* Effect.fromResult(transportOptionsOf(options))
    // The transport's logs name the project too (never the secret).
    const transport = yield* FpnnClient.make({
      ...transportOptions,
      logAnnotations: { pid: own.success.pid, ...transportOptions.logAnnotations }
    }).pipe(Effect.mapError(transportOption))
    return yield* makeVoiceRoomClient(transport, options)
  })

/** What `VoiceRoomClient.layerMock` takes: any of the operations, and optionally the client's fields. */
export type VoiceRoomClientMock =
  & Partial<VoiceRoomOperations>
  & Partial<Pick<VoiceRoomClientService, "endpoint" | "pid" | "dialect" | "connectionState">>

/**
 * A client from partial implementations: the operations given are used as they are
 * (typed, and reached through `invoke` too); any other one dies with a message naming it,
 * so a test that calls something it did not expect fails loudly instead of hanging.
 */
const mockConnected: Client.ConnectionState = { _tag: "Connected", connectionId: 0, encrypted: false, since: 0 }

export const makeVoiceRoomClientMock = (mock: VoiceRoomClientMock): VoiceRoomClientService => {
  const given = mock as Readonly<Record<string, unknown>>
  const methods: Record<string, (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, VoiceRoomError>> = {}
  for (const name of operationNames) {
    const implementation = Object.hasOwn(given, name) ? given[name] : undefined
    methods[name] = typeof implementation === "function"
      ? implementation as (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, VoiceRoomError>
      : () =>
        Effect.die(
          new Error(
            `VoiceRoomClient.layerMock: ${name} is not implemented by this mock ` +
              `(implemented: ${operationNames.filter((n) => typeof given[n] === "function").join(", ") || "none"}); ` +
              `add it to layerMock({ ${name}: ... })`
          )
        )
  }
  return {
    ...(methods as unknown as VoiceRoomOperations),
    endpoint: mock.endpoint ?? "mock",
    pid: mock.pid ?? 0,
    dialect: mock.dialect ?? "voice",
    // A mock has no socket: it reports itself connected unless the test says otherwise.
    connectionState: mock.connectionState ?? Effect.succeed(mockConnected),
    connectionStateChanges: Stream.fromEffect(mock.connectionState ?? Effect.succeed(mockConnected)),
    connectionEvents: Stream.empty,
    invoke: (name, args, options) =>
      Object.hasOwn(methods, name)
        ? methods[name]!(
          ...args.slice(0, (Operations[name] as AnyOperation).params.length),
          ...(options === undefined ? [] : [options])
        )
        : Effect.fail(
          new VoiceRoomValidationError({
            operation: String(name),
            parameter: "operation",
            message: `unknown operation ${JSON.stringify(name)}; known: ${operationNames.join(", ")}`
          })
        )
  }
}

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
   * context when there is one, else Node's (`@effect/platform-node`'s NodeFileSystem): an I/O failure is a `VoiceRoomConfigFileError`, a bad key a
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
    const rename = config === VoiceRoomClientConfig ? renameOption(envNames) : renameOption({
      "transport.encryption.serverKey": "serverKeyFile",
      "transport.encryption.mode": "encryptionMode",
      "transport.encryption.strength": "encryptionStrength"
    })
    return Layer.effect(
      VoiceRoomClient,
      Effect.gen(function*() {
        const c = yield* Config.unwrap(config)
        const keyOption = config === VoiceRoomClientConfig ? "RTM_SERVER_KEY" : "serverKeyFile"
        let encryption: Client.EncryptionOptions | undefined
        if (c.serverKeyFile !== undefined) {
          const path = c.serverKeyFile
          const fs = yield* fileSystem
          const serverKey = yield* fs.readFile(path).pipe(
            Effect.mapError((e) =>
              new VoiceRoomConfigFileError({ option: keyOption, path, detail: e.message, cause: e })
            )
          )
          encryption = {
            serverKey,
            ...(c.encryptionMode === undefined ? {} : { mode: c.encryptionMode }),
            ...(c.encryptionStrength === undefined ? {} : { strength: c.encryptionStrength })
          }
        }
        const transport = encryption === undefined ? extra?.transport : { ...extra?.transport, encryption }
        const options: VoiceRoomClientLayerOptions = {
          endpoint: c.endpoint,
          pid: c.pid,
          secret: c.secret,
          timeout: c.timeout,
          dialect: c.dialect,
          connectTimeout: c.connectTimeout,
          readRetry: extra?.readRetry,
          connect: extra?.connect,
          transport
        }
        return yield* makeLayerClient(options).pipe(Effect.mapError(rename))
      })
    ) as Layer.Layer<
      VoiceRoomClient,
      Config.ConfigError | VoiceRoomOptionsError | VoiceRoomConfigFileError | StartupCheckError<X>
    >
  }
}
