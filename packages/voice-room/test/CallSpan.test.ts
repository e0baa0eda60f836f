// The call span made under the native tracer (internal/span.ts) behaves as effect's
// Tracer.NativeSpan fed the same calls: status, attributes in order, events, links, ids.
import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Exit, Option, References, Tracer } from "effect"
import { type CallEnv, endSpan, millisBetween, setRoomId, startSpan } from "../src/internal/span.js"

const fixed = [["rpc.system", "fpnn"], ["rtm.operation", "getVoiceRoomMemberCount"]] as const

const env = (native: boolean, parent: Option.Option<Tracer.AnySpan> = Option.none()): CallEnv => ({
  context: Context.empty(),
  clock: Clock.Clock.defaultValue(),
  tracer: Tracer.nativeTracer,
  parent,
  timing: true,
  annotations: undefined,
  links: [],
  sampled: true,
  frame: { name: "test", stack: () => undefined, parent: undefined } as References.StackFrame,
  metricAttributes: false,
  native,
  live: false
})

/** The same calls on a span: attributes before and after being read, an event, links, the end. */
const exercise = (span: Tracer.Span) => {
  setRoomId(span, 2n ** 63n - 1n)
  span.attribute("error.type", "RtmError")
  const before = [...span.attributes]
  span.attribute("rtm.code", 200040)
  span.event("retry", 5n, { attempt: 1 })
  const link = { span: Tracer.externalSpan({ spanId: "s1", traceId: "t1" }), attributes: {} }
  span.addLinks([link])
  span.end(9n, Exit.succeed(3))
  span.attribute("late", true) // ignored once ended
  span.addLinks([link])
  return {
    before,
    after: [...span.attributes],
    status: span.status._tag === "Ended" ? [span.status.startTime, span.status.endTime] : undefined,
    links: span.links.length,
    events: (span as unknown as { events: ReadonlyArray<unknown> }).events.length
  }
}

describe("the native call span", () => {
  it("does what a NativeSpan fed the same calls does", () => {
    const call = startSpan(env(true), "VoiceRoom.getVoiceRoomMemberCount", 1n, fixed)
    const native = startSpan(env(false), "VoiceRoom.getVoiceRoomMemberCount", 1n, fixed)
    assert.notStrictEqual(call.constructor, native.constructor) // two implementations compared
    assert.deepStrictEqual(exercise(call), exercise(native))
    assert.strictEqual(call.kind, "client")
    assert.strictEqual(call.name, "VoiceRoom.getVoiceRoomMemberCount")
  })

  it("takes its trace id from its parent, and draws its own ids otherwise", () => {
    const parent = Tracer.externalSpan({ spanId: "p", traceId: "0af7651916cd43dd8448eb211c80319c" })
    const child = startSpan(env(true, Option.some(parent)), "x", 1n, fixed)
    assert.strictEqual(child.traceId, parent.traceId)
    const root = startSpan(env(true), "x", 1n, fixed)
    assert.match(root.traceId, /^[0-9a-f]{32}$/)
    assert.match(root.spanId, /^[0-9a-f]{16}$/)
    assert.strictEqual(root.spanId, root.spanId) // drawn once
    const other = startSpan(env(true), "x", 1n, fixed)
    assert.notStrictEqual(other.spanId, root.spanId)
  })

  it("spans made without links do not share them once links are added", () => {
    const a = startSpan(env(true), "x", 1n, fixed)
    const b = startSpan(env(true), "x", 1n, fixed)
    a.addLinks([{ span: Tracer.externalSpan({ spanId: "s", traceId: "t" }), attributes: {} }])
    assert.strictEqual(a.links.length, 1)
    assert.strictEqual(b.links.length, 0)
  })

  it("on the live clock, times are performance.now() readings, epoch nanoseconds when read", () => {
    const live = { ...env(true), live: true }
    const t0 = performance.now()
    const span = startSpan(live, "x", t0, fixed)
    const wall = BigInt(Date.now()) * 1_000_000n
    const started = span.status._tag === "Started" ? span.status.startTime : -1n
    assert.isTrue(started > wall - 50_000_000n && started < wall + 50_000_000n, `${started} vs ${wall}`)
    const t1 = t0 + 2.5
    endSpan(live, span, t1, Exit.void)
    assert.strictEqual(span.status._tag, "Ended")
    if (span.status._tag === "Ended") assert.strictEqual(span.status.endTime - span.status.startTime, 2_500_000n)
    assert.strictEqual(millisBetween(t0, t1), 2.5)
    assert.strictEqual(millisBetween(1_000_000n, 3_500_000n), 2.5)
    // Timing off: zero times, as withSpan gives.
    const untimed = startSpan({ ...live, timing: false }, "x", t0, fixed)
    endSpan({ ...live, timing: false }, untimed, t1, Exit.void)
    assert.isTrue(untimed.status._tag === "Ended" && untimed.status.startTime === 0n && untimed.status.endTime === 0n)
  })
})
