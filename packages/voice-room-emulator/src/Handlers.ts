/**
 * The emulator's FPNN handler table, derived from the operation table: for every
 * operation and dialect, one handler under that dialect's wire method name, so both
 * dialects are served on the same port over the same rooms. Per quest:
 *
 *   the fault plan (Faults.ts: may delay, answer an error, stay silent or close)
 *   → authentication (Auth.ts) → each parameter's presence and wire type (Typing.ts)
 *   → the dialect's extra fields, int32 when present → the operation's semantics, extras last
 *   (Rooms.ts) → the result encoded with the dialect's answer schema
 *
 * Every answer is encoded by the same schema the client decodes with, so it carries
 * every field, empty lists included.
 */
import { type Codec, FpnnErrorAnswer, type Server } from "@rtm-voice/fpnn-transport"
import {
  type AnyOperation,
  type Dialect,
  dialects,
  Int32,
  kinds,
  type KindSpec,
  type KindTypes,
  type OperationName,
  operationNames,
  Operations,
  type ParamKind,
  paramList,
  rtmCodeOf
} from "@rtm-voice/voice-room"
import { Effect, Result, Schema } from "effect"
import { type AuthConfig, type ReplayCache, verifyAuth } from "./Auth.js"
import type { FaultEngine } from "./Faults.js"
import { type Rooms, rtmError, semantics } from "./Rooms.js"
import { decodeField } from "./Typing.js"

export interface HandlerEnv {
  readonly auth: AuthConfig
  readonly replay: ReplayCache
  readonly rooms: Rooms
  /** Current time in milliseconds. */
  readonly now: Effect.Effect<number>
  /** Called for every quest that reached a handler (stats for tests). */
  readonly onQuest?: ((method: string) => void) | undefined
  /** The fault plan, consulted before each quest is served (Faults.ts). */
  readonly faults?: FaultEngine | undefined
  /** Completes when the emulator stops: black-holed quests are then answered 20014. */
  readonly stopped?: Effect.Effect<void> | undefined
}

/** One parameter by its kind: present, of its wire type, and meaningful (else 200034). */
const readParam = <K extends ParamKind>(
  payload: Codec.Payload,
  key: string,
  kind: K
): KindTypes[K]["value"] | FpnnErrorAnswer => {
  const spec: KindSpec<K> = kinds[kind]
  const decoded = decodeField(payload, key, spec.wire, spec.typeName)
  if (Result.isFailure(decoded)) return decoded.failure
  const value = spec.fromWire(decoded.success)
  return value === undefined
    ? rtmError(rtmCodeOf.InvalidParameter, `invalid value for ${key}: ${String(decoded.success)}`)
    : value
}

const handle = (
  env: HandlerEnv,
  operation: AnyOperation,
  dialect: Dialect,
  method: string,
  payload: Codec.Payload,
  nowMillis: number
): Codec.Payload | FpnnErrorAnswer => {
  const denied = verifyAuth(env.auth, env.replay, method, payload, nowMillis)
  if (Result.isFailure(denied)) return denied.failure
  const args: Array<unknown> = []
  for (const param of paramList(operation)) {
    const value = readParam(payload, param.key, param.kind)
    if (value instanceof FpnnErrorAnswer) return value
    args.push(value)
  }
  const extras: Record<string, number> = {}
  for (const extra of operation.extras[dialect] ?? []) {
    if (!Object.hasOwn(payload, extra.key)) continue
    const decoded = decodeField(payload, extra.key, Int32, "int32")
    if (Result.isFailure(decoded)) return decoded.failure
    extras[extra.key] = decoded.success
  }
  // The table is heterogeneous, so TypeScript cannot correlate an operation with its
  // semantics' tuple; the arguments were read by the kinds of this same operation's params.
  const run = semantics[operation.name as OperationName] as (rooms: Rooms, ...args: Array<unknown>) => unknown
  // Semantics take the extras after their arguments (see `Semantics`).
  args.length = operation.params.length
  const result = run(env.rooms, ...args, extras)
  if (result instanceof FpnnErrorAnswer) return result
  // A result that does not fit the answer schema is a bug here: a defect, answered 20001.
  return Schema.encodeUnknownSync(operation.answer[dialect] as Schema.Codec<unknown, unknown>)(result) as Codec.Payload
}

/** Wire method → handler, for every operation in both dialects. */
export const makeHandlers = (env: HandlerEnv): Record<string, Server.QuestHandler> => {
  const handlers: Record<string, Server.QuestHandler> = {}
  for (const name of operationNames) {
    const operation = Operations[name]
    for (const dialect of dialects) {
      const method = operation.wire[dialect]
      // adminCommand has one wire name in both dialects (and the same answer): first wins.
      if (handlers[method] !== undefined) continue
      const serve = (payload: Codec.Payload, nowMillis: number) => {
        const out = handle(env, operation, dialect, method, payload, nowMillis)
        return out instanceof FpnnErrorAnswer ? Effect.fail(out) : Effect.succeed(out)
      }
      handlers[method] = (payload, context) =>
        Effect.flatMap(env.now, (nowMillis) => {
          env.onQuest?.(method)
          const decision = env.faults?.decide(method, operation.name, nowMillis)
          if (decision === undefined) return serve(payload, nowMillis)
          const silence = Effect.andThen(env.stopped ?? Effect.never, Effect.interrupt)
          const outcome = decision.outcome
          const faulted: Effect.Effect<Codec.Payload, FpnnErrorAnswer> = outcome === undefined
            ? Effect.suspend(() => serve(payload, nowMillis))
            : outcome.kind === "error"
            ? Effect.fail(rtmError(outcome.code, outcome.ex))
            : outcome.kind === "blackHole"
            ? silence
            : outcome.kind === "closeBeforeApply"
            ? Effect.andThen(context.closeConnection, silence)
            : Effect.suspend(() => {
              // Applied (or rejected) exactly as usual, but the answer is never sent.
              handle(env, operation, dialect, method, payload, nowMillis)
              return Effect.andThen(context.closeConnection, silence)
            })
          if (decision.delayMillis === 0) return faulted
          // A stopping emulator does not wait out injected latency either (answered 20014).
          return Effect.andThen(Effect.raceFirst(Effect.sleep(decision.delayMillis), silence), faulted)
        })
    }
  }
  return handlers
}
