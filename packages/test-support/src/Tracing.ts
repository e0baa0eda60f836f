// A tracer that keeps its spans, for tests that read span names and attributes back.
import { Tracer } from "effect"

/** A tracer that keeps every span it creates, to read names and attributes back. */
export const recordingTracer = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}
