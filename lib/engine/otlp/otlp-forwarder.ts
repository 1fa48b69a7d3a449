import type { Observer } from 'rxjs'
import type { Logger } from '../../log'
import { ClientWarnings } from '../client-warnings'
import type { EngineEvent, TelemetryDropReason, TelemetrySignal } from '../events'

/** The 4-byte prefix of an official client's `/otel` frame names the signal of the OTLP JSON after it (protocol section 5). */
const SIGNALS: ReadonlyMap<string, TelemetrySignal> = new Map([
  ['OTLP', 'traces'],
  ['MTRC', 'metrics'],
  ['LOGS', 'logs'],
])
const PREFIX_BYTES = 4

/** Exports sent to the collector at once: enough to hide its latency, few enough not to flood it. */
const MAX_IN_FLIGHT = 4

interface HeldExport {
  readonly signal: TelemetrySignal
  readonly body: Buffer
}

/**
 * Forwards what official clients send on `/otel` to an OTLP/HTTP collector, as JSON POSTs to
 * `{endpoint}/v1/{traces,metrics,logs}`. What waits for the collector and what is on its way
 * is held within `maxBytes`; an export that would take it further is dropped, newest first,
 * as OpenTelemetry's own batch processors drop: a slow or absent collector costs telemetry,
 * never memory nor the workers' traffic. An export the collector refuses, or does not answer
 * within `timeoutMs`, is dropped too, not retried. Every drop is an event (counted in
 * `/metrics`); the log says so at most once per kind per window.
 */
export class OtlpForwarder {
  private readonly waiting: HeldExport[] = []
  private waitingFrom = 0
  private readonly inFlight = new Set<AbortController>()
  private heldBytes = 0
  private closed = false
  private readonly warnings: ClientWarnings
  private drained: (() => void) | undefined

  constructor(
    private readonly endpoint: string,
    private readonly maxBytes: number,
    private readonly timeoutMs: number,
    logger: Logger,
    private readonly events: Observer<EngineEvent>,
    now: () => number,
  ) {
    this.warnings = new ClientWarnings(logger, now)
  }

  /** Bytes held for the collector now: waiting and on their way. */
  get queuedBytes(): number {
    return this.heldBytes
  }

  /** Takes one `/otel` frame: queued for the collector, or dropped with an event. */
  accept(frame: Buffer): void {
    const signal = SIGNALS.get(frame.subarray(0, PREFIX_BYTES).toString('latin1'))
    const body = frame.subarray(PREFIX_BYTES)
    if (signal === undefined) {
      this.drop('unknown', 'unknown_signal', body.length, 'a /otel frame starts with no known prefix (OTLP, MTRC, LOGS)')
      return
    }
    if (this.closed || this.heldBytes + body.length > this.maxBytes) {
      this.drop(signal, 'queue_full', body.length, `the engine holds ${this.heldBytes} bytes for the OTLP collector at ${this.endpoint} (maxOtlpQueueBytes ${this.maxBytes})`)
      return
    }
    this.heldBytes += body.length
    // Copied: ws hands over views into its socket reads, and a small view held for long would keep a whole read alive, outside the count.
    this.waiting.push({ signal, body: Buffer.from(body) })
    this.pump()
  }

  /** Stops taking frames and waits for what is held to reach the collector, at most `timeoutMs`; the rest is dropped. */
  async close(): Promise<void> {
    this.closed = true
    if (this.heldBytes === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      new Promise<void>((resolve) => (this.drained = resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.timeoutMs))),
    ])
    clearTimeout(timer)
    for (const held of this.waiting.splice(this.waitingFrom)) this.fail(held, 'the engine closed before the collector took it')
    for (const request of this.inFlight) request.abort()
  }

  private pump(): void {
    while (this.inFlight.size < MAX_IN_FLIGHT && this.waitingFrom < this.waiting.length) {
      const held = this.waiting[this.waitingFrom++]
      // Compacted now and then rather than shifted per export: thousands of small ones may wait.
      if (this.waitingFrom > 1024 && this.waitingFrom * 2 > this.waiting.length) {
        this.waiting.splice(0, this.waitingFrom)
        this.waitingFrom = 0
      }
      void this.send(held)
    }
  }

  private async send(held: HeldExport): Promise<void> {
    const request = new AbortController()
    this.inFlight.add(request)
    const timer = setTimeout(() => request.abort(), this.timeoutMs)
    try {
      const response = await fetch(`${this.endpoint}/v1/${held.signal}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: held.body,
        signal: request.signal,
      })
      // Only the status matters; the body is let go so the connection can be reused.
      await response.body?.cancel()
      if (response.ok) {
        this.heldBytes -= held.body.length
        this.events.next({ type: 'telemetry_forwarded', signal: held.signal, bytes: held.body.length })
      } else {
        this.fail(held, `the collector answered HTTP ${response.status}`)
      }
    } catch (error) {
      this.fail(held, request.signal.aborted ? `no answer within ${this.timeoutMs} ms (otlpTimeoutMs)` : describeFetchError(error))
    } finally {
      clearTimeout(timer)
      this.inFlight.delete(request)
    }
    this.pump()
    if (this.closed && this.heldBytes === 0) this.drained?.()
  }

  private fail(held: HeldExport, why: string): void {
    this.heldBytes -= held.body.length
    this.drop(held.signal, 'export_failed', held.body.length, `cannot forward to the OTLP collector at ${this.endpoint}: ${why}`)
  }

  private drop(signal: TelemetrySignal | 'unknown', reason: TelemetryDropReason, bytes: number, why: string): void {
    this.events.next({ type: 'telemetry_dropped', signal, reason, bytes })
    this.warnings.warn(`otlp:${reason}`, `telemetry from /otel dropped: ${why}`, { signal, reason })
  }
}

/** fetch hides the cause of a network failure (refused, reset, unknown host) behind "fetch failed". */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error)
}
