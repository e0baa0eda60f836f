/**
 * What a call's span and metrics read from the fiber's context, resolved once per context
 * rather than once per call (BENCHMARKS.md, "Steps"): a context never changes, and the
 * calls of one service mostly run under the same one, so a one-entry cache per operation
 * almost always hits.
 *
 * The span is made the way `Effect.withSpan` makes it (same tracer, parent, links, env
 * annotations, sampling, timing, and the stack frame it provides), without the Effect
 * steps `withSpan` takes per call. A context this does not reproduce (tracing disabled,
 * a parent with `DisablePropagation`) gets `undefined`, and the call takes `Effect.withSpan`.
 */
import { Cause, Clock, Context, Exit, type Fiber, LogLevel, Metric, Option, References, Tracer } from "effect"
import { Hex } from "effect/encoding"

export interface CallEnv {
  readonly context: Context.Context<never>
  readonly clock: Clock.Clock
  readonly tracer: Tracer.Tracer
  readonly parent: Option.Option<Tracer.AnySpan>
  readonly timing: boolean
  /** `Effect.annotateSpans` of the context; undefined when there is none. */
  readonly annotations: Readonly<Record<string, unknown>> | undefined
  readonly links: ReadonlyArray<Tracer.SpanLink>
  readonly sampled: boolean
  /** The stack frame `withSpan` provides to the call (no stack: `captureStackTrace: false`). */
  readonly frame: References.StackFrame
  /** Whether the context adds metric attributes (then the series are the contextual ones). */
  readonly metricAttributes: boolean
  /** The native tracer and no env annotations: the span is a `CallSpan`. */
  readonly native: boolean
  /** The live Clock: the call's times are `performance.now()` readings (`CallTime`). */
  readonly live: boolean
}

const noStack = (): string | undefined => undefined

/** The call's settings in this fiber's context, or undefined for `Effect.withSpan`'s path. */
export const callEnvOf = (fiber: Fiber.Fiber<unknown, unknown>, spanName: string): CallEnv | undefined => {
  if (!fiber.getRef(References.TracerEnabled)) return undefined
  const context = fiber.context
  const parent = Context.getOption(context, Tracer.ParentSpan)
  if (Option.isSome(parent) && Context.get(parent.value.annotations, Tracer.DisablePropagation)) return undefined
  const annotations = fiber.getRef(References.TracerSpanAnnotations)
  const level = fiber.getRef(Tracer.CurrentTraceLevel)
  const tracer = fiber.getRef(Tracer.Tracer)
  const annotated = Object.keys(annotations).length > 0
  return {
    context,
    clock: fiber.getRef(Clock.Clock),
    tracer,
    parent,
    timing: fiber.getRef(References.TracerTimingEnabled),
    annotations: annotated ? annotations : undefined,
    links: fiber.getRef(References.TracerSpanLinks),
    sampled: Option.isSome(parent) && parent.value.sampled === false
      ? false
      : !LogLevel.isGreaterThan(fiber.getRef(Tracer.MinimumTraceLevel), level),
    frame: { name: spanName, stack: noStack, parent: fiber.getRef(References.CurrentStackFrame) },
    metricAttributes: Object.keys(fiber.getRef(Metric.CurrentMetricAttributes)).length > 0,
    native: tracer === Tracer.nativeTracer && !annotated,
    live: fiber.getRef(Clock.Clock) === liveClock
  }
}

const noAnnotations = Context.empty()

type Attributes = ReadonlyArray<readonly [string, unknown]>

/** The links of a span made without any, shared until `addLinks` (copy on write). */
const noLinks: ReadonlyArray<Tracer.SpanLink> = Object.freeze([])

/** The live (default) Clock: on it, a call reads the time with `performance.now()`. */
const liveClock = Context.get(Context.empty(), Clock.Clock)

/**
 * A time of a call: a `performance.now()` reading (milliseconds, on the live clock) or the
 * fiber's Clock's nanoseconds. Reading `performance.now()` costs a third of the live
 * clock's `currentTimeNanosUnsafe` (a BigInt hrtime, `Date.now()` and BigInt arithmetic,
 * read twice per call); the span's nanoseconds are made from it only when read.
 */
export type CallTime = number | bigint

// performance.now()'s origin in epoch nanoseconds: a reading adds to it exactly (an epoch
// time in nanoseconds as one double would keep only a quarter of a microsecond).
const originNanos = BigInt(Math.round(performance.timeOrigin * 1e6))

/** Epoch nanoseconds of a call time. */
export const nanosOf = (t: CallTime): bigint => typeof t === "bigint" ? t : originNanos + BigInt(Math.round(t * 1e6))

/** `SpanStatus` "Started", as an instance (see `CallSpan`); its time converted when read. */
class Started {
  readonly _tag = "Started"
  readonly #start: CallTime
  constructor(start: CallTime) {
    this.#start = start
  }
  get startTime(): bigint {
    return nanosOf(this.#start)
  }
}

/** `SpanStatus` "Ended", as an instance (see `CallSpan`); its times converted when read. */
class Ended {
  readonly _tag = "Ended"
  readonly #start: CallTime
  readonly #end: CallTime
  readonly exit: Exit.Exit<unknown, unknown>
  constructor(start: CallTime, end: CallTime, exit: Exit.Exit<unknown, unknown>) {
    this.#start = start
    this.#end = end
    this.exit = exit
  }
  get startTime(): bigint {
    return nanosOf(this.#start)
  }
  get endTime(): bigint {
    return nanosOf(this.#end)
  }
}

/**
 * The native tracer's span of a call: what `Tracer.NativeSpan` is and does (lazy ids,
 * attributes, events, links; nothing recorded once ended), made without an object or
 * array literal. V8 pretenures a literal's allocation site once most of its objects
 * outlive a young-generation GC, which a burst of about 1,000 calls in flight makes a
 * span's do; from then on they would go straight to the old generation (BENCHMARKS.md,
 * "A cold burst"). Class instances and a shared empty `links` have no such site.
 *
 * Its attributes are the operation's (fixed, shared by every call) and the few a call
 * adds; they become the span's `Map` when something reads `attributes`, not per call:
 * with no tracer installed, nothing reads them, and a `Map` of ten entries per call was
 * a tenth of a call. Reading them gives what `NativeSpan` gives: the fixed ones, then the
 * added ones in order.
 */
class CallSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly name: string
  readonly parent: Option.Option<Tracer.AnySpan>
  readonly annotations: Context.Context<never>
  links: ReadonlyArray<Tracer.SpanLink>
  readonly sampled: boolean
  readonly kind: Tracer.SpanKind = "client"
  readonly #start: CallTime
  status: Started | Ended
  #traceId: string | undefined = undefined
  #spanId: string | undefined = undefined
  #attributes: Map<string, unknown> | undefined = undefined
  #events: Array<[name: string, startTime: bigint, attributes: Record<string, unknown>]> | undefined = undefined
  readonly #fixed: Attributes
  #roomId: bigint | undefined = undefined
  #added: Array<unknown> | undefined = undefined

  constructor(
    name: string,
    parent: Option.Option<Tracer.AnySpan>,
    links: ReadonlyArray<Tracer.SpanLink>,
    start: CallTime,
    sampled: boolean,
    fixed: Attributes
  ) {
    this.name = name
    this.parent = parent
    this.annotations = noAnnotations
    this.links = links
    this.sampled = sampled
    this.#start = start
    this.status = new Started(start)
    this.#fixed = fixed
  }

  get startTime(): bigint {
    return nanosOf(this.#start)
  }

  get traceId(): string {
    return this.#traceId ??= Option.getOrUndefined(this.parent)?.traceId ?? Hex.random(32)
  }

  get spanId(): string {
    return this.#spanId ??= Hex.random(16)
  }

  get attributes(): Map<string, unknown> {
    let map = this.#attributes
    if (map === undefined) {
      map = new Map(this.#fixed)
      if (this.#roomId !== undefined) map.set("rtm.room_id", String(this.#roomId))
      const added = this.#added
      if (added !== undefined) { for (let i = 0; i < added.length; i += 2) map.set(added[i] as string, added[i + 1]) }
      this.#added = undefined
      this.#attributes = map
    }
    return map
  }

  get events(): ReadonlyArray<[name: string, startTime: bigint, attributes: Record<string, unknown>]> {
    return this.#events ??= []
  }

  end(endTime: CallTime, exit: Exit.Exit<unknown, unknown>): void {
    if (this.status._tag === "Ended") return
    this.status = new Ended(this.#start, endTime, exit)
  }

  attribute(key: string, value: unknown): void {
    if (this.status._tag === "Ended") return
    if (this.#attributes !== undefined) this.#attributes.set(key, value)
    else (this.#added ??= []).push(key, value)
  }

  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    if (this.status._tag === "Ended") return
    ;(this.#events ??= []).push([name, startTime, attributes ?? {}])
  }

  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    if (this.status._tag === "Ended") return
    this.links = this.links === noLinks ? links.slice() : [...this.links, ...links]
  }

  /** `rtm.room_id`, rendered (a bigint's decimal string) only when read. */
  roomId(rid: bigint): void {
    if (this.#attributes !== undefined || this.status._tag === "Ended") this.attribute("rtm.room_id", String(rid))
    else this.#roomId = rid
  }
}

/** The call's time now: a `performance.now()` reading on the live clock, else the Clock's nanoseconds. */
export const timeNow = (env: CallEnv): CallTime => env.live ? performance.now() : env.clock.currentTimeNanosUnsafe()

/** Milliseconds between two times of one call. */
export const millisBetween = (start: CallTime, end: CallTime): number =>
  typeof start === "number" ? (end as number) - start : Number((end as bigint) - start) / 1e6

/**
 * A client span, started at `start`: what `withSpan` hands its tracer, the env
 * annotations, then the operation's attributes (a `CallSpan` has them from the start
 * without setting them).
 */
export const startSpan = (env: CallEnv, name: string, start: CallTime, fixed: Attributes): Tracer.Span => {
  if (env.native) {
    const links = env.links.length === 0 ? noLinks : env.links.slice()
    return new CallSpan(name, env.parent, links, env.timing ? start : 0n, env.sampled, fixed)
  }
  const span = env.tracer.span({
    name,
    parent: env.parent,
    annotations: noAnnotations,
    links: env.links.slice(),
    startTime: env.timing ? nanosOf(start) : 0n,
    kind: "client",
    root: false,
    sampled: env.sampled
  })
  const annotations = env.annotations
  if (annotations !== undefined) { for (const key in annotations) span.attribute(key, annotations[key]) }
  for (let i = 0; i < fixed.length; i++) span.attribute(fixed[i]![0], fixed[i]![1])
  return span
}

/** Ends a call's span at `end` (a `CallSpan` converts the time only when it is read). */
export const endSpan = (env: CallEnv, span: Tracer.Span, end: CallTime, exit: Exit.Exit<unknown, unknown>): void => {
  if (span instanceof CallSpan) span.end(env.timing ? end : 0n, exit)
  else span.end(env.timing ? nanosOf(end) : 0n, exit)
}

/** `rtm.room_id` on a call's span (`withSpan`'s too): the id as a decimal string. */
export const setRoomId = (span: Tracer.Span, rid: unknown): void => {
  if (span instanceof CallSpan && typeof rid === "bigint") span.roomId(rid)
  else span.attribute("rtm.room_id", String(rid))
}

/**
 * A failure of the call, with the span's stack frame on its cause: what `withSpan`'s
 * frame gives a failure inside it (`Cause.pretty` shows it), without providing the frame.
 */
export const failIn = <E>(frame: References.StackFrame | undefined, error: E): Exit.Exit<never, E> =>
  frame === undefined
    ? Exit.fail(error)
    : Exit.failCause(Cause.annotate(Cause.fail(error), Context.make(Cause.StackTrace, frame)))
