import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Tracer from "effect/Tracer"

/** A span as `recordingTracer` keeps it when it ends. */
export interface RecordedSpan {
  readonly name: string
  readonly attributes: Record<string, unknown>
  readonly events: ReadonlyArray<{ readonly eventName: string; readonly eventAttributes: unknown }>
  /** `"ok"`, or the failure's `Cause.pretty`. */
  readonly exit: string
  readonly endTime: string
}

/** A tracer that keeps every span's name, attributes, events and status in `sink` when the span ends. */
export const recordingTracer = (sink: Array<RecordedSpan>): Tracer.Tracer =>
  Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const events: Array<{ eventName: string; eventAttributes: unknown }> = []
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: Math.random().toString(16).slice(2),
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links,
        sampled: true,
        kind,
        end: (endTime, exit) => {
          sink.push({
            name,
            attributes: Object.fromEntries(attributes),
            events,
            exit: Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "ok",
            endTime: String(endTime)
          })
        },
        attribute: (key, value) => void attributes.set(key, value),
        event: (eventName, _time, eventAttributes) => void events.push({ eventName, eventAttributes }),
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })
