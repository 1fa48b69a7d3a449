import { expect } from 'chai'
import { spawnTs, type TsProcess } from '../../demos/support/processes'
import { useOtlpEngine, type ReceivedSpan } from '../support/otlp-receiver'
import { useWorkers } from '../support/workers'

describe('one trace across official iii-sdk workers and the engine (otlpEndpoint)', function () {
  this.timeout(60_000)
  const worker = useWorkers()
  const peers: TsProcess[] = []

  // Defined before useOtlpEngine's hooks, so the peers are gone before the engine closes.
  afterEach(async () => {
    for (const peer of peers.splice(0)) {
      peer.kill('SIGKILL')
      await peer.exited
    }
  })
  const otlp = useOtlpEngine()

  const peer = async (name: string) => {
    const child = spawnTs('spec/fixtures/iii-peer.ts', [otlp.engine.url, name])
    peers.push(child)
    await child.waitForLine(/^READY/)
  }

  it('links caller span -> engine span -> handler span when one official worker calls another', async () => {
    await peer('a')
    await peer('b')
    const ours = await worker(otlp.engine.url)
    // a.call runs in a's span "execute a.call" and calls b.echo from there.
    expect(await ours.trigger({ function_id: 'a.call', payload: { function_id: 'b.echo', payload: { n: 1 } } })).to.deep.equal({
      ok: true,
      result: { from: 'b', input: { n: 1 } },
    })
    // The official clients send their spans on /otel as they end (every 100 ms); the engine forwards them.
    const named = (name: string, spans: ReceivedSpan[]) => spans.find((span) => span.name === name)
    await otlp.receiver.until(() => {
      const spans = otlp.receiver.spans()
      return named('execute a.call', spans) && named('execute b.echo', spans)
    }, 30_000)
    // Closing the engine exports its own spans.
    await otlp.engine.close()
    const spans = otlp.receiver.spans()
    const span = (name: string) => {
      const found = named(name, spans)
      expect(found, `a span "${name}" among ${spans.map((one) => one.name).join(', ')}`).not.to.equal(undefined)
      return found as ReceivedSpan
    }
    const toA = span('invoke a.call')
    const inA = span('execute a.call')
    const toB = span('invoke b.echo')
    const inB = span('execute b.echo')
    expect([toA, inA, toB, inB].map((one) => one.traceId)).to.deep.equal(Array(4).fill(toA.traceId))
    expect(toA.parentSpanId, 'our SDK sends no traceparent: the engine starts the trace').to.equal('')
    expect(inA.parentSpanId).to.equal(toA.spanId)
    expect(toB.parentSpanId).to.equal(inA.spanId)
    expect(inB.parentSpanId).to.equal(toB.spanId)
    expect([toA.service, inA.service, toB.service, inB.service]).to.deep.equal(['rx-channels-engine', 'iii-node', 'rx-channels-engine', 'iii-node'])
    expect(toB.attributes).to.deep.include({ 'rx_channels.function_id': 'b.echo', 'rx_channels.outcome': 'ok' })
  })
})
