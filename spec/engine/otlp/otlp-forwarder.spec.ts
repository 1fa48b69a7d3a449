import { expect } from 'chai'
import { bufferCount, filter, firstValueFrom } from 'rxjs'
import WebSocket from 'ws'
import { RxChannelsError, silentLogger, startEngine, type Engine, type EngineEvent, type EngineOptions } from '../../../lib'
import { nextEvent, openRaw, rawWorker, recordingLogger, registered, sendJson } from '../../support/engine'
import { startOtlpReceiver, type OtlpReceiver } from '../../support/otlp-receiver'
import { httpGet, sample } from '../../support/scrape'

/** An `/otel` frame as the official client sends it: the signal's prefix, then the OTLP JSON. */
const frame = (prefix: string, body: string) => Buffer.concat([Buffer.from(prefix), Buffer.from(body)])

/** The first `count` events of `type` from now on. */
function events<T extends EngineEvent['type']>(engine: Engine, type: T, count: number): Promise<Array<Extract<EngineEvent, { type: T }>>> {
  return firstValueFrom(
    engine.events$.pipe(
      filter((event): event is Extract<EngineEvent, { type: T }> => event.type === type),
      bufferCount(count),
    ),
  )
}

/** A raw worker serving `echo`, and another calling it: the engine still routes. */
async function roundTrip(url: string): Promise<unknown> {
  const callee = await rawWorker(url)
  await registered(callee, 'echo')
  const caller = await rawWorker(url)
  sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'call-1', function_id: 'echo', data: 'ping' })
  const invocation = await callee.next('invokefunction')
  sendJson(callee.ws, { type: 'invocationresult', invocation_id: invocation.invocation_id, function_id: 'echo', result: invocation.data })
  const result = (await caller.next('invocationresult')).result
  callee.ws.close()
  caller.ws.close()
  return result
}

describe('forwarding /otel to an OTLP collector (otlpEndpoint)', () => {
  let receiver: OtlpReceiver
  let engine: Engine
  const start = async (receiverOptions: { hold?: boolean }, options: EngineOptions = {}) => {
    receiver = await startOtlpReceiver(receiverOptions)
    engine = await startEngine({ port: 0, logger: silentLogger, otlpEndpoint: receiver.url, ...options })
  }
  afterEach(async () => {
    await engine.close()
    await receiver.close()
  })

  it('posts the JSON after each prefix to {endpoint}/v1/traces, /v1/metrics and /v1/logs, and counts them in /metrics', async () => {
    await start({})
    const forwarded = events(engine, 'telemetry_forwarded', 3)
    const telemetry = await openRaw(`${engine.url}/otel`)
    telemetry.ws.send(frame('OTLP', '{"resourceSpans":[]}'))
    telemetry.ws.send(frame('MTRC', '{"resourceMetrics":[]}'))
    telemetry.ws.send(frame('LOGS', '{"resourceLogs":[]}'))
    expect((await forwarded).map((event) => event.signal).sort()).to.deep.equal(['logs', 'metrics', 'traces'])
    expect([...receiver.requests].sort((a, b) => a.path.localeCompare(b.path))).to.deep.equal([
      { path: '/v1/logs', type: 'application/json', body: '{"resourceLogs":[]}' },
      { path: '/v1/metrics', type: 'application/json', body: '{"resourceMetrics":[]}' },
      { path: '/v1/traces', type: 'application/json', body: '{"resourceSpans":[]}' },
    ])
    const scrape = (await httpGet(engine.url, '/metrics')).body
    for (const signal of ['traces', 'metrics', 'logs']) expect(sample(scrape, 'rx_channels_otlp_forwarded_total', { signal })).to.equal(1)
    expect(sample(scrape, 'rx_channels_otlp_queued_bytes')).to.equal(0)
    telemetry.ws.close()
  })

  it('drops a frame with no known prefix, counted as unknown_signal, and keeps the socket', async () => {
    await start({})
    const dropped = nextEvent(engine, 'telemetry_dropped')
    const telemetry = await openRaw(`${engine.url}/otel`)
    telemetry.ws.send(frame('XXXX', '{}'))
    expect(await dropped).to.deep.equal({ type: 'telemetry_dropped', signal: 'unknown', reason: 'unknown_signal', bytes: 2 })
    expect(sample((await httpGet(engine.url, '/metrics')).body, 'rx_channels_otlp_dropped_total', { signal: 'unknown', reason: 'unknown_signal' })).to.equal(1)
    expect(telemetry.ws.readyState).to.equal(WebSocket.OPEN)
    expect(receiver.requests).to.deep.equal([])
    telemetry.ws.close()
  })

  it('drops what a collector that is down cannot take (export_failed), logs it once, and keeps routing invocations', async () => {
    const logger = recordingLogger()
    await start({}, { logger })
    // A port nothing listens on: the receiver is closed before anything is sent.
    await receiver.close()
    const dropped = events(engine, 'telemetry_dropped', 5)
    const telemetry = await openRaw(`${engine.url}/otel`)
    for (let sent = 0; sent < 5; sent++) telemetry.ws.send(frame('OTLP', '{"resourceSpans":[]}'))
    expect((await dropped).map((event) => event.reason)).to.deep.equal(Array(5).fill('export_failed'))
    const scrape = (await httpGet(engine.url, '/metrics')).body
    expect(sample(scrape, 'rx_channels_otlp_dropped_total', { signal: 'traces', reason: 'export_failed' })).to.equal(5)
    expect(sample(scrape, 'rx_channels_otlp_queued_bytes')).to.equal(0)
    const warnings = logger.lines.filter((line) => line.startsWith('warn: telemetry from /otel dropped'))
    expect(warnings).to.have.length(1)
    expect(warnings[0]).to.contain(`cannot forward to the OTLP collector at ${receiver.url}: ECONNREFUSED`)
    expect(await roundTrip(engine.url)).to.equal('ping')
    expect(telemetry.ws.readyState).to.equal(WebSocket.OPEN)
    telemetry.ws.close()
  })

  it('holds at most maxOtlpQueueBytes for a collector that does not answer, drops the newest past it, and the rest after otlpTimeoutMs', async () => {
    await start({ hold: true }, { maxOtlpQueueBytes: 4096, otlpTimeoutMs: 2_000 })
    const body = `{"resourceSpans":[],"pad":"${'x'.repeat(1000 - 29)}"}`
    expect(body).to.have.length(1000)
    const drops = events(engine, 'telemetry_dropped', 5)
    const full = nextEvent(engine, 'telemetry_dropped')
    const telemetry = await openRaw(`${engine.url}/otel`)
    for (let sent = 0; sent < 5; sent++) telemetry.ws.send(frame('OTLP', body))
    expect(await full).to.deep.equal({ type: 'telemetry_dropped', signal: 'traces', reason: 'queue_full', bytes: 1000 })
    await receiver.until(() => (receiver.held === 4 ? true : undefined))
    const scrape = (await httpGet(engine.url, '/metrics')).body
    expect(sample(scrape, 'rx_channels_otlp_queued_bytes')).to.equal(4000)
    expect(sample(scrape, 'rx_channels_otlp_dropped_bytes_total', { reason: 'queue_full' })).to.equal(1000)
    expect(await roundTrip(engine.url)).to.equal('ping')
    expect((await drops).map((event) => event.reason)).to.deep.equal(['queue_full', ...Array(4).fill('export_failed')])
    expect(sample((await httpGet(engine.url, '/metrics')).body, 'rx_channels_otlp_queued_bytes')).to.equal(0)
    telemetry.ws.close()
  })
})

describe('otlpEndpoint', () => {
  it('must be an http(s) URL without credentials: else startEngine fails with invalid_option', async () => {
    for (const [otlpEndpoint, message] of [
      ['localhost:4318', 'otlpEndpoint must be an http:// or https:// URL, got "localhost:4318"'],
      ['not a url', 'otlpEndpoint must be an http:// or https:// URL, got "not a url"'],
      ['http://user:secret@127.0.0.1:4318', 'otlpEndpoint must not carry a user name or password'],
    ]) {
      const failed = await startEngine({ port: 0, logger: silentLogger, otlpEndpoint }).then(
        async (engine) => {
          await engine.close()
          return undefined
        },
        (error: RxChannelsError) => ({ code: error.code, message: error.message }),
      )
      expect(failed).to.deep.equal({ code: 'invalid_option', message })
    }
  })
})

describe('an engine without otlpEndpoint', () => {
  it('has no OTLP metrics, and drops /otel frames as before', async () => {
    const engine = await startEngine({ port: 0, logger: silentLogger })
    try {
      const telemetry = await openRaw(`${engine.url}/otel`)
      telemetry.ws.send(frame('OTLP', '{}'))
      const scrape = (await httpGet(engine.url, '/metrics')).body
      expect(scrape).not.to.contain('rx_channels_otlp_')
      telemetry.ws.close()
    } finally {
      await engine.close()
    }
  })
})
