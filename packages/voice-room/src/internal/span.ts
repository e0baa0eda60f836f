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
import {
  Clock,
  Context,
  type Fiber,
  LogLevel,
  Metric,
  Option,
  References,
  Tracer
} from "effect"

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
    native: tracer === Tracer.nativeTracer && !annotated
  }
}

const noAnnotations = Context.empty()

type Attributes = ReadonlyArray<readonly [string, unknown]>

/**
 * The native tracer's span of a call. Its attributes are the operation's (fixed, shared
 * by every call) and the few a call adds; they become the span's `Map` when something
 * reads `attributes`, not per call: with no tracer installed, nothing reads them, and a
 * `Map` of ten entries per call was a tenth of a call (BENCHMARKS.md, "Steps"). Reading
 * them gives what `NativeSpan` gives: the fixed ones, then the added ones in order.
 */
class CallSpan extends Tracer.NativeSpan {
  readonly #fixed: Attributes
  #added: Array<unknown> | undefined = undefined

  constructor(options: ConstructorParameters<typeof Tracer.NativeSpan>[0], fixed: Attributes) {
    super(options)
    this.#fixed = fixed
  }

  override get attributes(): Map<string, unknown> {
    let map = this._attributes
    if (map === undefined) {
      map = new Map(this.#fixed)
      const added = this.#added
      if (added !== undefined) for (let i = 0; i < added.length; i += 2) map.set(added[i] as string, added[i + 1])
      this.#added = undefined
      this._attributes = map
    }
    return map
  }

  override attribute(key: string, value: unknown): void {
    if (this.status._tag === "Ended") return
    if (this._attributes !== undefined) this._attributes.set(key, value)
    else (this.#added ??= []).push(key, value)
  }
}

/**
 * A client span, started now: what `withSpan` hands its tracer, then the env annotations.
 * A `CallSpan` has the operation's attributes from the start; any other span gets them
 * from `endSpan`.
 */
export const startSpan = (env: CallEnv, name: string, startTime: bigint, fixed: Attributes): Tracer.Span => {
  const options = {
    name,
    parent: env.parent,
    annotations: noAnnotations,
    links: env.links.length === 0 ? [] : env.links.slice(),
    startTime: env.timing ? startTime : 0n,
    kind: "client" as const,
    root: false,
    sampled: env.sampled
  }
  if (env.native) return new CallSpan(options, fixed)
  const span = env.tracer.span(options)
  const annotations = env.annotations
  if (annotations !== undefined) for (const key in annotations) span.attribute(key, annotations[key])
  return span
}

/** The operation's attributes on a span that is not a `CallSpan`, as the call ends. */
export const addFixed = (env: CallEnv, span: Tracer.Span, fixed: Attributes): void => {
  if (!env.native) for (let i = 0; i < fixed.length; i++) span.attribute(fixed[i]![0], fixed[i]![1])
}

/** The context of the call inside its span: the span as parent, and its stack frame. */
export const inSpan = (env: CallEnv, span: Tracer.Span) => (context: Context.Context<never>): Context.Context<never> =>
  Context.add(Context.add(context, Tracer.ParentSpan, span), References.CurrentStackFrame, env.frame)
