import type { InvocationOutcomeKind } from './events'
import type { InvocationPeer } from './invocation-peer'

/**
 * Spans of the invocations the engine forwards to workers, when it exports traces
 * (`otlpEndpoint`). The router knows only this interface; the OpenTelemetry SDK behind it is
 * loaded only by an engine that exports (see otlp/invocation-spans.ts).
 */
export interface InvocationTracing {
  /** Starts the span of an invocation forwarded from `caller` to `callee`, a child of the caller's `traceparent` if it sent a valid one. */
  start(functionId: string, traceparent: string | undefined, caller: InvocationPeer, callee: InvocationPeer): InvocationSpan
}

export interface InvocationSpan {
  /** The W3C traceparent the callee is given in place of the caller's: it names this span. */
  readonly traceparent: string
  end(outcome: InvocationOutcomeKind, code?: string): void
}
