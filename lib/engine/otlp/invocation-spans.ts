import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes, type Tracer } from '@opentelemetry/api'
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { Resource } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { InvocationPeer } from '../invocation-peer'
import type { InvocationSpan, InvocationTracing } from '../invocation-tracing'

/** The `service.name` of the engine's spans. */
export const ENGINE_SERVICE_NAME = 'rx-channels-engine'

const propagator = new W3CTraceContextPropagator()

/**
 * The engine's spans of forwarded invocations, exported as OTLP/HTTP JSON to
 * `{endpoint}/v1/traces` by OpenTelemetry's batch processor (at most 2048 spans wait; more are
 * dropped by it). Nothing is registered globally: a process that runs workers with their own
 * OpenTelemetry setup next to an engine keeps its tracer, context manager and propagator.
 */
export class InvocationSpans implements InvocationTracing {
  private readonly provider: BasicTracerProvider
  private readonly tracer: Tracer

  /** `told` hears of every batch exported, or not. */
  constructor(endpoint: string, timeoutMs: number, told: (spans: number, ok: boolean, error?: Error) => void) {
    const exporter = new TellingExporter(new OTLPTraceExporter({ url: `${endpoint}/v1/traces`, timeoutMillis: timeoutMs }), told)
    this.provider = new BasicTracerProvider({
      resource: new Resource({ 'service.name': ENGINE_SERVICE_NAME }),
      spanProcessors: [new BatchSpanProcessor(exporter, { exportTimeoutMillis: timeoutMs })],
    })
    this.tracer = this.provider.getTracer('rx-channels')
  }

  start(functionId: string, traceparent: string | undefined, caller: InvocationPeer, callee: InvocationPeer): InvocationSpan {
    // An absent or malformed traceparent leaves the context empty: the span starts a trace.
    const parent = traceparent === undefined ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter)
    const attributes: Attributes = {
      'rx_channels.function_id': functionId,
      'rx_channels.caller.worker_id': caller.id,
      'rx_channels.handler.worker_id': callee.id,
    }
    if (caller.name !== undefined) attributes['rx_channels.caller.worker_name'] = caller.name
    if (callee.name !== undefined) attributes['rx_channels.handler.worker_name'] = callee.name
    const span = this.tracer.startSpan(`invoke ${functionId}`, { kind: SpanKind.SERVER, attributes }, parent)
    const { traceId, spanId, traceFlags } = span.spanContext()
    return {
      traceparent: `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`,
      end: (outcome, code) => {
        span.setAttribute('rx_channels.outcome', outcome)
        if (code !== undefined) {
          span.setAttribute('rx_channels.error_code', code)
          span.setStatus({ code: SpanStatusCode.ERROR, message: code })
        }
        span.end()
      },
    }
  }

  /** Exports the spans that ended and stops, within the exporter's timeout; a failed export was told already and does not fail the close. */
  close(): Promise<void> {
    return this.provider.shutdown().catch(() => undefined)
  }
}

/** Passes batches to `inner` and tells how each went: OpenTelemetry reports failed exports only to a global handler. */
class TellingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly told: (spans: number, ok: boolean, error?: Error) => void,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      this.told(spans.length, result.code === ExportResultCode.SUCCESS, result.error)
      done(result)
    })
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve()
  }
}
