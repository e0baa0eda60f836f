/**
 * Fault injection: a plan of faults the emulator applies to quests before serving them,
 * so a test can see how a service copes with a rate limit, an error answer, a slow or
 * silent gateway, or a connection lost before or after a write was applied.
 *
 * A plan is plain JSON (`rtm-voice emulator --faults plan.json`), described by the
 * `FaultPlan` schema. Each fault names the methods it applies to (SDK operation names or
 * wire method names; all when absent), what it does (`kind`), and when: for the next
 * `times` matching quests, always (no `times`), and/or with a `probability` drawn from a
 * PRNG seeded by the plan's `seed`, so a run is reproducible.
 *
 * Per quest, the faults are consulted in plan order: latency faults add up; the first
 * fault that ends the quest (error, rate limit, black hole, close) wins, and the faults
 * after it are not consulted (their `times` are not used up).
 */
import {
  type Dialect,
  dialects,
  type OperationName,
  operationNames,
  Operations,
  rtmCodeOf
} from "@rtm-voice/voice-room"
import { Result, Schema } from "effect"

/** Every name a fault's `method` may use: SDK operation names and wire method names. */
export const faultMethodNames: ReadonlyArray<string> = [
  ...new Set([
    ...operationNames,
    ...operationNames.flatMap((name) => dialects.map((d: Dialect) => Operations[name].wire[d]))
  ])
]

const MethodName = Schema.Literals(faultMethodNames as [string, ...Array<string>])
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/** When a fault applies, and to which methods (shared by every kind). */
const common = {
  /** SDK operation name(s) or wire method name(s); absent = every method. */
  method: Schema.optionalKey(Schema.Union([MethodName, Schema.Array(MethodName)])),
  /** Only for the next N matching quests (then exhausted); absent = always. */
  times: Schema.optionalKey(PositiveInt),
  /** Chance (0-1) that a matching quest gets the fault; drawn from the plan's seeded PRNG. */
  probability: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })))
}

export const ErrorFault = Schema.Struct({
  kind: Schema.Literal("error"),
  /** An RTM (2000xx) or FPNN (1xxxx, 2xxxx) error code, answered instead of serving the quest. */
  code: Schema.Int,
  /** The answer's `ex` text. Default: "injected fault". */
  ex: Schema.optionalKey(Schema.String),
  ...common
})

export const LatencyFault = Schema.Struct({
  kind: Schema.Literal("latency"),
  /** Fixed delay before the quest is served. */
  millis: Schema.optionalKey(NonNegativeInt),
  /** Random delay in [minMillis, maxMillis] (seeded), instead of `millis`. */
  minMillis: Schema.optionalKey(NonNegativeInt),
  maxMillis: Schema.optionalKey(NonNegativeInt),
  ...common
}).check(
  Schema.makeFilter((f) =>
    (f.millis !== undefined) !== (f.minMillis !== undefined && f.maxMillis !== undefined) &&
      (f.minMillis === undefined) === (f.maxMillis === undefined) &&
      (f.minMillis === undefined || f.minMillis <= f.maxMillis!)
      ? undefined
      : "a latency fault takes either millis, or minMillis <= maxMillis"
  )
)

export const BlackHoleFault = Schema.Struct({ kind: Schema.Literal("blackHole"), ...common })

/** Reads the quest, then closes the connection without applying it. */
export const CloseBeforeApplyFault = Schema.Struct({ kind: Schema.Literal("closeBeforeApply"), ...common })

/** Reads and applies the quest, then closes the connection without answering. */
export const CloseAfterApplyFault = Schema.Struct({ kind: Schema.Literal("closeAfterApply"), ...common })

export const RateLimitFault = Schema.Struct({
  kind: Schema.Literal("rateLimit"),
  /** Quests served per wire method in any 1 s window; beyond, the answer is 200010. */
  perSecond: PositiveInt,
  ...common
})

export const Fault = Schema.Union([
  ErrorFault,
  LatencyFault,
  BlackHoleFault,
  CloseBeforeApplyFault,
  CloseAfterApplyFault,
  RateLimitFault
])
export type Fault = typeof Fault.Type
export type FaultKind = Fault["kind"]
export const faultKinds: ReadonlyArray<FaultKind> = [
  "error",
  "latency",
  "blackHole",
  "closeBeforeApply",
  "closeAfterApply",
  "rateLimit"
]

export const FaultPlan = Schema.Struct({
  /** Seed of the PRNG behind `probability` and latency ranges. Default 1. */
  seed: Schema.optionalKey(Schema.Int),
  faults: Schema.Array(Fault)
})
export type FaultPlan = typeof FaultPlan.Type

/** A fault plan (or a fault, or a seed) that does not fit `FaultPlan`. */
export class FaultPlanError extends Schema.TaggedError<FaultPlanError>()("FaultPlanError", {
  message: Schema.String
}) {}

/** Checks an untyped plan (e.g. parsed JSON); a bare array is a plan without seed. */
export const decodeFaultPlan = (input: unknown): Result.Result<FaultPlan, FaultPlanError> =>
  Result.mapError(
    Schema.decodeUnknownResult(FaultPlan)(Array.isArray(input) ? { faults: input } : input),
    (issue) => new FaultPlanError({ message: `invalid fault plan: ${issue.message}` })
  )

/**
 * One fault in a compact form, for a command line:
 *
 *   [method[,method...]:]kind[=argument][@times][%probability]
 *
 * kinds and arguments: `error=CODE`, `latency=MS` or `latency=MIN-MAX`, `blackHole`,
 * `closeBeforeApply`, `closeAfterApply`, `rateLimit=N`. Examples: `error=200010`,
 * `getVoiceRoomMembers:latency=100-300%0.5`, `pullUserIntoVoiceRoom:closeAfterApply@1`.
 */
export const parseFault = (text: string): Result.Result<Fault, FaultPlanError> => {
  const bad = (why: string) =>
    Result.fail(new FaultPlanError({ message: `invalid fault ${JSON.stringify(text)}: ${why}` }))
  const m = /^(?:([\w,]+):)?(\w+)(?:=([\d-]+))?(?:@(\d+))?(?:%([\d.]+))?$/.exec(text.trim())
  if (m === null) return bad("expected [method:]kind[=argument][@times][%probability]")
  const [, methods, kind, argument, times, probability] = m
  const fault: Record<string, unknown> = { kind }
  if (methods !== undefined) {
    const list = methods.split(",")
    fault.method = list.length === 1 ? list[0] : list
  }
  if (times !== undefined) fault.times = Number(times)
  if (probability !== undefined) fault.probability = Number(probability)
  const needs = (key: string) => {
    if (argument === undefined || !/^\d+$/.test(argument)) return bad(`${kind} takes =<integer>`)
    fault[key] = Number(argument)
    return undefined
  }
  switch (kind) {
    case "error": {
      const e = needs("code")
      if (e !== undefined) return e
      break
    }
    case "rateLimit": {
      const e = needs("perSecond")
      if (e !== undefined) return e
      break
    }
    case "latency": {
      const range = /^(\d+)(?:-(\d+))?$/.exec(argument ?? "")
      if (range === null) return bad("latency takes =<ms> or =<min>-<max>")
      if (range[2] === undefined) fault.millis = Number(range[1])
      else Object.assign(fault, { minMillis: Number(range[1]), maxMillis: Number(range[2]) })
      break
    }
    default:
      if (argument !== undefined) return bad(`${kind} takes no argument`)
  }
  const result = Schema.decodeUnknownResult(Fault)(fault)
  return result._tag === "Success" ? Result.succeed(result.success) : bad(result.failure.message)
}

/** mulberry32: small, fast and good enough for reproducible fault draws. */
const prng = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** What to do with one quest. */
export interface FaultDecision {
  /** Delay before the rest of the decision applies (sum of the latency faults that fired). */
  readonly delayMillis: number
  /** The fault that ends the quest, if any. */
  readonly outcome:
    | { readonly kind: "error"; readonly code: number; readonly ex: string }
    | { readonly kind: "blackHole" | "closeBeforeApply" | "closeAfterApply" }
    | undefined
}

export interface InjectedFault {
  readonly kind: FaultKind
  /** The wire method of the quest it was applied to. */
  readonly method: string
  readonly count: number
}

/** Injection counters, kept across plan changes (cleared by the emulator's `reset`). */
export interface FaultStats {
  /** The plan in force. */
  readonly plan: FaultPlan
  /** Injections per kind. */
  readonly injected: { readonly [K in FaultKind]: number }
  /** Injections per kind and wire method, in order of first injection. */
  readonly log: ReadonlyArray<InjectedFault>
}

const emptyPlan: FaultPlan = { faults: [] }

/** The mutable state behind a plan: remaining counts, the PRNG, rate-limit windows, counters. */
export class FaultEngine {
  private plan: FaultPlan = emptyPlan
  private remaining: Array<number | undefined> = []
  private random: () => number = prng(1)
  private readonly windows = new Map<string, Array<number>>()
  private readonly counts = new Map<string, InjectedFault>()

  constructor(plan?: FaultPlan) {
    if (plan !== undefined) this.set(plan)
  }

  get current(): FaultPlan {
    return this.plan
  }

  /** Replaces the plan: `times`, the PRNG and the rate-limit windows start afresh. */
  set(plan: FaultPlan): void {
    this.plan = plan
    this.remaining = plan.faults.map((f) => f.times)
    this.random = prng(plan.seed ?? 1)
    this.windows.clear()
  }

  resetCounters(): void {
    this.counts.clear()
  }

  stats(): FaultStats {
    const injected = Object.fromEntries(faultKinds.map((k) => [k, 0])) as Record<FaultKind, number>
    for (const entry of this.counts.values()) injected[entry.kind] += entry.count
    return { plan: this.plan, injected, log: [...this.counts.values()] }
  }

  private count(kind: FaultKind, method: string): void {
    const key = `${kind}:${method}`
    const entry = this.counts.get(key)
    this.counts.set(key, { kind, method, count: (entry?.count ?? 0) + 1 })
  }

  /** Decides the fate of one quest of `method` (wire name) of `operation`, at `nowMillis`. */
  decide(method: string, operation: OperationName, nowMillis: number): FaultDecision | undefined {
    const faults = this.plan.faults
    if (faults.length === 0) return undefined
    let delayMillis = 0
    let outcome: FaultDecision["outcome"]
    for (let i = 0; i < faults.length && outcome === undefined; i++) {
      const fault = faults[i]!
      if (this.remaining[i] === 0) continue
      if (fault.method !== undefined) {
        const names: ReadonlyArray<string> = typeof fault.method === "string" ? [fault.method] : fault.method
        if (!names.includes(method) && !names.includes(operation)) continue
      }
      if (fault.kind === "rateLimit") {
        const key = `${i}:${method}`
        const window = (this.windows.get(key) ?? []).filter((t) => t > nowMillis - 1000)
        this.windows.set(key, window)
        if (window.length < fault.perSecond) {
          window.push(nowMillis)
          continue
        }
      }
      if (fault.probability !== undefined && !(this.random() < fault.probability)) continue
      if (this.remaining[i] !== undefined) this.remaining[i]!--
      this.count(fault.kind, method)
      switch (fault.kind) {
        case "latency":
          delayMillis += fault.millis ??
            fault.minMillis! + Math.floor(this.random() * (fault.maxMillis! - fault.minMillis! + 1))
          break
        case "error":
          outcome = { kind: "error", code: fault.code, ex: fault.ex ?? "injected fault" }
          break
        case "rateLimit":
          outcome = {
            kind: "error",
            code: rtmCodeOf.FrequencyLimited,
            ex: `more than ${fault.perSecond} ${method} quests per second`
          }
          break
        default:
          outcome = { kind: fault.kind }
      }
    }
    return delayMillis === 0 && outcome === undefined ? undefined : { delayMillis, outcome }
  }
}
