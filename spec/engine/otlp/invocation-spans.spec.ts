import { expect } from 'chai'
import { execFileSync } from 'child_process'
import { silentLogger, startEngine, type Engine } from '../../../lib'
import { rawWorker, registered, sendJson, type RawWorker } from '../../support/engine'
import { startOtlpReceiver, useOtlpEngine, type OtlpReceiver } from '../../support/otlp-receiver'
import { httpGet, sample } from '../../support/scrape'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN_ID = '00f067aa0ba902b7'
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/

/** A raw worker and the id the engine gave it. */
async function worker(url: string): Promise<{ raw: RawWorker; id: string }> {
  const raw = await rawWorker(url)
  const { worker_id } = await raw.next('workerregistered')
  return { raw, id: String(worker_id) }
}

describe("the engine's spans of invocations (otlpEndpoint)", () => {
  const otlp = useOtlpEngine()

  it('makes a span child of the caller’s traceparent, and passes the handler a traceparent naming it', async () => {
    const handler = await worker(otlp.engine.url)
    await registered(handler.raw, 'math.add')
    const caller = await worker(otlp.engine.url)
    const sent = { type: 'invokefunction', invocation_id: 'inv-1', function_id: 'math.add', data: { a: 2, b: 3 }, traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`, baggage: 'user=alice' }
    sendJson(caller.raw.ws, sent)
    const invocation = await handler.raw.next('invokefunction')
    const [, traceId, engineSpanId] = TRACEPARENT.exec(String(invocation.traceparent)) ?? []
    expect(traceId).to.equal(TRACE_ID)
    expect(engineSpanId).not.to.equal(CALLER_SPAN_ID)
    // Only the traceparent is the engine's: the rest reaches the handler as the caller sent it.
    expect({ ...invocation, traceparent: sent.traceparent }).to.deep.equal(sent)
    sendJson(handler.raw.ws, { type: 'invocationresult', invocation_id: invocation.invocation_id, function_id: 'math.add', result: 5 })
    expect(await caller.raw.next('invocationresult')).to.deep.include({ invocation_id: 'inv-1', result: 5 })

    // Closing the engine exports the spans that ended.
    await otlp.engine.close()
    expect(otlp.receiver.spans()).to.deep.equal([
      {
        service: 'rx-channels-engine',
        name: 'invoke math.add',
        traceId: TRACE_ID,
        spanId: engineSpanId,
        parentSpanId: CALLER_SPAN_ID,
        attributes: {
          'rx_channels.function_id': 'math.add',
          'rx_channels.caller.worker_id': caller.id,
          'rx_channels.handler.worker_id': handler.id,
          'rx_channels.outcome': 'ok',
        },
      },
    ])
  })

  it('starts a trace for a caller that sends no traceparent, and marks a failed invocation with its code', async () => {
    const handler = await worker(otlp.engine.url)
    await registered(handler.raw, 'math.fail')
    const caller = await worker(otlp.engine.url)
    sendJson(caller.raw.ws, { type: 'invokefunction', invocation_id: 'inv-2', function_id: 'math.fail', data: {} })
    const invocation = await handler.raw.next('invokefunction')
    const [, traceId, engineSpanId] = TRACEPARENT.exec(String(invocation.traceparent)) ?? []
    sendJson(handler.raw.ws, { type: 'invocationresult', invocation_id: invocation.invocation_id, function_id: 'math.fail', error: { code: 'bad_input', message: 'no' } })
    await caller.raw.next('invocationresult')
    await otlp.engine.close()
    const [span] = otlp.receiver.spans()
    expect(span).to.deep.include({ traceId, spanId: engineSpanId, parentSpanId: '' })
    expect(span.attributes).to.deep.include({ 'rx_channels.outcome': 'error', 'rx_channels.error_code': 'bad_input' })
  })

  it('gives a fire-and-forget invocation a span too, with outcome sent', async () => {
    const handler = await worker(otlp.engine.url)
    await registered(handler.raw, 'log.write')
    const caller = await worker(otlp.engine.url)
    sendJson(caller.raw.ws, { type: 'invokefunction', function_id: 'log.write', data: 'line', traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` })
    const invocation = await handler.raw.next('invokefunction')
    const [, , engineSpanId] = TRACEPARENT.exec(String(invocation.traceparent)) ?? []
    await otlp.engine.close()
    expect(otlp.receiver.spans().map(({ name, spanId, parentSpanId, attributes }) => ({ name, spanId, parentSpanId, outcome: attributes['rx_channels.outcome'] }))).to.deep.equal([
      { name: 'invoke log.write', spanId: engineSpanId, parentSpanId: CALLER_SPAN_ID, outcome: 'sent' },
    ])
  })
})

describe("the engine's spans when the collector does not answer", () => {
  const TIMEOUT_MS = 2_000
  /** More spans than may wait (2048) plus the batches (of 512) that can leave while they are made, even on a loaded machine. */
  const INVOCATIONS = 4_000
  let receiver: OtlpReceiver
  let engine: Engine
  beforeEach(async () => {
    receiver = await startOtlpReceiver({ hold: true })
    engine = await startEngine({ port: 0, logger: silentLogger, otlpEndpoint: receiver.url, otlpTimeoutMs: TIMEOUT_MS })
  })
  afterEach(async () => {
    await engine.close()
    await receiver.close()
  })

  it('tells what became of every span (failed, queue_full past 2048 waiting, engine_closed), and close waits about otlpTimeoutMs', async () => {
    const outcomes = new Map<string, number>()
    engine.events$.subscribe((event) => {
      if (event.type === 'engine_spans_exported') outcomes.set(event.ok ? 'exported' : 'failed', (outcomes.get(event.ok ? 'exported' : 'failed') ?? 0) + event.spans)
      if (event.type === 'engine_spans_dropped') outcomes.set(`dropped ${event.reason}`, (outcomes.get(`dropped ${event.reason}`) ?? 0) + event.spans)
    })
    const handler = await worker(engine.url)
    await registered(handler.raw, 'log.write')
    let delivered = 0
    const allDelivered = new Promise<void>((resolve) =>
      handler.raw.ws.on('message', (data: Buffer) => {
        if (JSON.parse(data.toString()).type === 'invokefunction' && ++delivered === INVOCATIONS) resolve()
      }),
    )
    const caller = await worker(engine.url)
    for (let sent = 0; sent < INVOCATIONS; sent++) sendJson(caller.raw.ws, { type: 'invokefunction', function_id: 'log.write', data: sent })
    await allDelivered
    await receiver.until(() => (receiver.held > 0 ? true : undefined))
    const scrape = (await httpGet(engine.url, '/metrics')).body
    const droppedBeforeClose = sample(scrape, 'rx_channels_otlp_engine_spans_total', { outcome: 'queue_full' })
    expect(droppedBeforeClose).to.be.greaterThan(0)

    const closing = Date.now()
    await engine.close()
    // close() waits otlpTimeoutMs at most for the collector; the rest is room for a loaded machine.
    expect(Date.now() - closing).to.be.lessThan(4 * TIMEOUT_MS)
    const total = [...outcomes.values()].reduce((sum, spans) => sum + spans, 0)
    expect({ total, exported: outcomes.get('exported') ?? 0 }).to.deep.equal({ total: INVOCATIONS, exported: 0 })
    expect(outcomes.get('dropped queue_full')).to.equal(droppedBeforeClose)
    expect(outcomes.get('dropped engine_closed')).to.be.greaterThan(0)
  })
})

describe('an engine without otlpEndpoint', () => {
  it('never loads OpenTelemetry', () => {
    // A process of its own: this suite's other engines have loaded it in this one.
    const script = `require('./lib/engine').startEngine({ port: 0, logger: require('./lib').silentLogger }).then(async (engine) => {
      await engine.close()
      console.log(Object.keys(require.cache).filter((file) => /@opentelemetry[\\\\/](sdk-trace-base|exporter-trace-otlp-http)/.test(file)).length)
    })`
    expect(execFileSync(process.execPath, ['-r', 'esbuild-register', '-e', script], { encoding: 'utf8' }).trim()).to.equal('0')
  })
})
