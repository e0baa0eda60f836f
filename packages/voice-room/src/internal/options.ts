/**
 * The client's options, checked once at build (any input: untyped callers, Proxies,
 * throwing getters), and the transport's options of a layer; rejections named as the
 * caller wrote them.
 */
import { type Client, type FpnnOptionsError, Options } from "@rtm-voice/fpnn-transport"
import { Redacted, Result, Schedule } from "effect"
import { type VoiceRoomError, type VoiceRoomOptionsError, voiceRoomOptionsError } from "../Errors.js"
import { type Dialect } from "../Operations.js"

/** The same rejection, as the voice-room client reports it (`prefix` for transport options). */
export const fromTransport = (e: FpnnOptionsError, prefix = ""): VoiceRoomOptionsError =>
  voiceRoomOptionsError(`${prefix}${e.option}`, e.reason._tag, e.detail)

export interface ResolvedVoiceRoomOptions {
  readonly pid: number
  readonly secret: Redacted.Redacted<string>
  readonly dialect: Dialect
  /** Milliseconds (Infinity = none); undefined = the transport's quest timeout. */
  readonly timeoutMillis: number | undefined
  readonly readRetry: Schedule.Schedule<unknown, VoiceRoomError> | undefined
  readonly connect: "lazy" | "eager"
}

/**
 * Checks the client's options once, at build, for any input (untyped callers, Proxies,
 * throwing getters): a bad one is a `VoiceRoomOptionsError` naming it.
 */
export const resolveOptions = (options: unknown): Result.Result<ResolvedVoiceRoomOptions, VoiceRoomOptionsError> =>
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
        Options.rejectOption(
          "secret",
          secret === undefined ? "Missing" : "WrongType",
          "secret must be a Redacted string"
        )
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
        timeoutMillis: timeout === undefined
          ? undefined
          : Options.durationMillis(timeout, "timeout", { infinite: true }),
        readRetry: readRetry as Schedule.Schedule<unknown, VoiceRoomError> | undefined,
        connect: connect === undefined ? "lazy" : Options.oneOf(connect, "connect", ["lazy", "eager"] as const)
      }
    }),
    (e) => fromTransport(e)
  )

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
export const transportOptionsOf = (options: unknown): Result.Result<Client.FpnnClientOptions, VoiceRoomOptionsError> =>
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
export const transportOption = (e: FpnnOptionsError): VoiceRoomOptionsError =>
  fromTransport(
    e,
    e.option === "endpoint" || e.option === "connectTimeout" || e.option.startsWith("transport") ? "" : "transport."
  )

export const renameOption =
  (names: Readonly<Record<string, string>>) => <E>(e: E | VoiceRoomOptionsError): E | VoiceRoomOptionsError =>
    e instanceof Object && (e as { _tag?: unknown })._tag === "VoiceRoomOptionsError" &&
      Object.hasOwn(names, (e as VoiceRoomOptionsError).option)
      ? voiceRoomOptionsError(
        names[(e as VoiceRoomOptionsError).option]!,
        (e as VoiceRoomOptionsError).reason._tag,
        (e as VoiceRoomOptionsError).detail
      )
      : e
