import type { Observer } from 'rxjs'
import { RxChannelsError } from '../../errors'
import type { Logger } from '../../log'
import { clip } from '../../protocol/decode'
import { ClientWarnings } from '../client-warnings'
import type { EngineEvent } from '../events'
import type { EngineLimits } from '../limits'
import { InvocationSpans, MAX_WAITING_SPANS } from './invocation-spans'
import { OtlpForwarder } from './otlp-forwarder'

/** What an engine with `otlpEndpoint` sends to the collector: the official clients' telemetry and its own spans. */
export interface OtlpExport {
  readonly forwarder: OtlpForwarder
  readonly spans: InvocationSpans
  /** Sends what is held (bounded by `otlpTimeoutMs`) and stops. */
  close(): Promise<void>
}

/**
 * Starts exporting to the OTLP/HTTP collector at `endpoint` (`http(s)://HOST:PORT`, with an
 * optional path prefix; signals go to `{endpoint}/v1/traces|metrics|logs`). This file is
 * loaded only for an engine given an endpoint, so that others never load OpenTelemetry.
 */
export function startOtlpExport(endpoint: string, limits: EngineLimits, logger: Logger, events: Observer<EngineEvent>, now: () => number): OtlpExport {
  const base = collectorBase(endpoint)
  const forwarder = new OtlpForwarder(base, limits.maxOtlpQueueBytes, limits.otlpTimeoutMs, logger, events, now)
  const warnings = new ClientWarnings(logger, now)
  const spans = new InvocationSpans(base, limits.otlpTimeoutMs, (count, told) => {
    switch (told.outcome) {
      case 'exported':
        return events.next({ type: 'engine_spans_exported', spans: count, ok: true })
      case 'failed':
        events.next({ type: 'engine_spans_exported', spans: count, ok: false })
        return warnings.warn('otlp:spans_failed', `engine spans dropped: cannot export ${count} to the OTLP collector at ${base}: ${told.error?.message ?? 'unknown error'}`)
      case 'queue_full':
        events.next({ type: 'engine_spans_dropped', spans: count, reason: 'queue_full' })
        return warnings.warn('otlp:spans_queue_full', `engine spans dropped: ${MAX_WAITING_SPANS} wait for the OTLP collector at ${base} already`)
      case 'engine_closed':
        events.next({ type: 'engine_spans_dropped', spans: count, reason: 'engine_closed' })
        return warnings.warn('otlp:spans_closed', `engine spans dropped: the OTLP collector at ${base} had not taken ${count} when the engine closed (otlpTimeoutMs ${limits.otlpTimeoutMs})`)
    }
  })
  logger.info(`exporting telemetry to the OTLP collector at ${base}: engine spans, and what official clients send on /otel`)
  return {
    forwarder,
    spans,
    close: async () => {
      await Promise.all([forwarder.close(), spans.close()])
    },
  }
}

/** The endpoint without a trailing slash, or an `invalid_option` error. */
function collectorBase(endpoint: string): string {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new RxChannelsError('invalid_option', `otlpEndpoint must be an http:// or https:// URL, got ${JSON.stringify(clip(endpoint, 80))}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RxChannelsError('invalid_option', `otlpEndpoint must be an http:// or https:// URL, got ${JSON.stringify(clip(endpoint, 80))}`)
  }
  // fetch refuses such URLs, and the endpoint is logged: a password in it would end up in the log.
  if (url.username !== '' || url.password !== '') throw new RxChannelsError('invalid_option', 'otlpEndpoint must not carry a user name or password')
  return endpoint.replace(/\/+$/, '')
}
