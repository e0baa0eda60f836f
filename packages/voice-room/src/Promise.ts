/**
 * The voice-room client for code that is not written with Effect (Express, NestJS, scripts):
 * the same nine methods as `VoiceRoomClient`, as async functions.
 *
 * One `ManagedRuntime` holds the client's Layer (and so its connection) for the lifetime of
 * the facade. A failed call rejects with the very tagged error the Effect API fails with
 * (`RtmError`, `FpnnTimeoutError`, ...), so `e._tag`, `e.reason` and `e.code` work in a
 * `catch`; defects and interruptions reject with the underlying error too.
 */
import { Cause, type Effect, Exit, type Layer, ManagedRuntime, Redacted, Schema } from "effect"
import type { ArgsOf, Dialect, OperationName, Operations, ParamsOf, ResultOf } from "./Operations.js"
import { operationNames } from "./Operations.js"
import { type CallOptions, VoiceRoomClient, type VoiceRoomClientLayerOptions } from "./VoiceRoomClient.js"

/** A method of the facade: the Effect method's arguments, a Promise of its result. */
export type PromiseMethod<O> = (...args: [...ArgsOf<ParamsOf<O>>, options?: CallOptions]) => Promise<ResultOf<O>>

export type VoiceRoomPromiseOperations = { readonly [K in OperationName]: PromiseMethod<Operations[K]> }

export interface VoiceRoomPromiseClient extends VoiceRoomPromiseOperations, AsyncDisposable {
  readonly endpoint: string
  readonly pid: number
  readonly dialect: Dialect
  /** Closes the connection; calls made afterwards reject. Idempotent. */
  readonly close: () => Promise<void>
}

/** `VoiceRoomClient.layer`'s options; `secret` may also be a plain string here. */
export interface CreateVoiceRoomClientOptions extends Omit<VoiceRoomClientLayerOptions, "secret"> {
  readonly secret: string | Redacted.Redacted<string>
}

/** A call on a facade after `close()`: nothing was sent. */
export class VoiceRoomClientClosedError extends Schema.TaggedError<VoiceRoomClientClosedError>()(
  "VoiceRoomClientClosedError",
  { operation: Schema.String }
) {
  get sent(): false {
    return false
  }
  override get message(): string {
    return `${this.operation}: the client is closed; nothing was sent`
  }
}

/** The failure a Promise rejects with: the typed error when there is one, else the defect. */
const rejection = (cause: Cause.Cause<unknown>): unknown => {
  const error = Cause.findErrorOption(cause)
  return error._tag === "Some" ? error.value : Cause.squash(cause)
}

const run = <A, E, ER>(
  runtime: ManagedRuntime.ManagedRuntime<VoiceRoomClient, ER>,
  effect: Effect.Effect<A, E, VoiceRoomClient>
): Promise<A> =>
  runtime.runPromiseExit(effect).then((exit) =>
    Exit.isSuccess(exit) ? exit.value : Promise.reject(rejection(exit.cause))
  )

/**
 * The facade on a Layer of your own (e.g. `VoiceRoomClient.layerConfig()`, or one sharing a
 * transport). Resolves once the Layer is built, rejects with its error (bad options).
 */
export const fromLayer = async <E>(layer: Layer.Layer<VoiceRoomClient, E>): Promise<VoiceRoomPromiseClient> => {
  const runtime = ManagedRuntime.make(layer)
  const client = await run(runtime, VoiceRoomClient).catch(async (error: unknown) => {
    // whatever the Layer acquired before failing is released before the rejection
    await runtime.dispose()
    throw error
  })
  let closed: Promise<void> | undefined
  const close = () => (closed ??= runtime.dispose())
  const methods = Object.fromEntries(
    operationNames.map((name) => [
      name,
      (...args: ReadonlyArray<unknown>) =>
        closed !== undefined
          ? Promise.reject(new VoiceRoomClientClosedError({ operation: name }))
          : run(runtime, (client[name] as (...a: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>)(...args))
    ])
  ) as unknown as VoiceRoomPromiseOperations
  return {
    ...methods,
    endpoint: client.endpoint,
    pid: client.pid,
    dialect: client.dialect,
    close,
    [Symbol.asyncDispose]: close
  }
}

/**
 * A voice-room client with its own connection to `options.endpoint`.
 *
 * ```ts
 * await using rooms = await createVoiceRoomClient({ endpoint, pid, secret })
 * await rooms.pullUserIntoVoiceRoom(42n, [1001n])
 * ```
 */
export const createVoiceRoomClient = (options: CreateVoiceRoomClientOptions): Promise<VoiceRoomPromiseClient> =>
  fromLayer(
    VoiceRoomClient.layer({
      ...options,
      secret: Redacted.isRedacted(options.secret) ? options.secret : Redacted.make(options.secret)
    })
  )
