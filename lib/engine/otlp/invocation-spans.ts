import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, type Attributes, type Context, type Tracer } from '@opentelemetry/api'
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { Resource } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { EngineSpansDropReason } from '../events'
import type { InvocationPeer } from '../invocation-peer'
import type { InvocationSpan, InvocationTracing } from '../invocation-tracing'

/** The `service.name` of the engine's spans. */
export const ENGINE_SERVICE_NAME = 'rx-channels-engine'

const propagator = new W3CTraceContextPropagator()

/** Ended spans that may wait for an export (OpenTelemetry's batch processor holds as many by default). */
export const MAX_WAITING_SPANS = 2048

/** What became of some of the engine's spans: exported, refused or timed out (`failed`), or dropped by the engine. */
export type SpansOutcome = { readonly outcome: 'exported' | 'failed'; readonly error?: Error } | { readonly outcome: EngineSpansDropReason }

/**
 * The engine's spans of forwarded invocations, exported as OTLP/HTTP JSON to
 * `{endpoint}/v1/traces` by OpenTelemetry's batch processor, at most {@link MAX_WAITING_SPANS}
 * waiting. Every span's fate is told. Nothing is registered globally: a process that runs
 * workers with their own OpenTelemetry setup next to an engine keeps its tracer, context
 * manager and propagator.
 */
export class InvocationSpans implements InvocationTracing {
  private readonly provider: BasicTracerProvider
  private readonly tracer: Tracer
  private readonly accounted: AccountedSpans

  /** `told` hears what became of every span, in counts. */
  constructor(
    endpoint: string,
    private readonly timeoutMs: number,
    told: (spans: number, outcome: SpansOutcome) => void,
  ) {
    const exporter = new OTLPTraceExporter({ url: `${endpoint}/v1/traces`, timeoutMillis: timeoutMs })
    this.accounted = new AccountedSpans(
      (accounted) => new BatchSpanProcessor(new TellingExporter(exporter, accounted), { exportTimeoutMillis: timeoutMs, maxQueueSize: MAX_WAITING_SPANS }),
      told,
    )
    this.provider = new BasicTracerProvider({
      resource: new Resource({ 'service.name': ENGINE_SERVICE_NAME }),
      spanProcessors: [this.accounted],
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

  /**
   * Exports the spans that ended and stops, waiting at most `otlpTimeoutMs`; what the collector
   * has not taken by then is told as `engine_closed`. A failed export does not fail the close.
   */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.provider.shutdown().catch(() => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.timeoutMs))),
    ])
    clearTimeout(timer)
    this.accounted.close()
  }
}

/**
 * Hands ended spans on to OpenTelemetry's batch processor while fewer than
 * {@link MAX_WAITING_SPANS} wait, and tells what became of each: the batch processor drops a
 * span that finds its queue full, and leaves the exports still open when it shuts down
 * unanswered, telling no one of either.
 */
class AccountedSpans implements SpanProcessor {
  private readonly inner: SpanProcessor
  /** Handed on, not yet taken into an export. */
  private waiting = 0
  /** In exports the collector has not answered yet. */
  private exporting = 0
  private closed = false

  constructor(
    inner: (accounted: AccountedSpans) => SpanProcessor,
    private readonly told: (spans: number, outcome: SpansOutcome) => void,
  ) {
    this.inner = inner(this)
  }

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext)
  }

  onEnd(span: ReadableSpan): void {
    // The batch processor keeps only sampled spans; an unsampled one is no loss.
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return
    if (this.closed) return this.told(1, { outcome: 'engine_closed' })
    if (this.waiting >= MAX_WAITING_SPANS) return this.told(1, { outcome: 'queue_full' })
    this.waiting++
    this.inner.onEnd(span)
  }

  exportStarted(spans: number): void {
    this.waiting -= spans
    this.exporting += spans
  }

  exportDone(spans: number, outcome: SpansOutcome): void {
    // After close, these spans were told as engine_closed already.
    if (this.closed) return
    this.exporting -= spans
    this.told(spans, outcome)
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush()
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }

  /** Tells what neither an export nor its failure accounted for once the processor stopped. */
  close(): void {
    if (this.closed) return
    this.closed = true
    const unexported = this.waiting + this.exporting
    this.waiting = 0
    this.exporting = 0
    if (unexported > 0) this.told(unexported, { outcome: 'engine_closed' })
  }
}

/** Passes batches to `inner` and tells the accounting of each: OpenTelemetry reports failed exports only to a global handler. */
class TellingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly accounted: AccountedSpans,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.accounted.exportStarted(spans.length)
    this.inner.export(spans, (result) => {
      const ok = result.code === ExportResultCode.SUCCESS
      this.accounted.exportDone(spans.length, ok ? { outcome: 'exported' } : { outcome: 'failed', error: result.error })
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
