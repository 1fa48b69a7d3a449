import { expect } from 'chai'
import WebSocket from 'ws'
import { channelUrl } from '../../lib/protocol/channel-url'
import { CREDIT_SUBPROTOCOL } from '../../lib/protocol/credit'
import { createRawChannel, openRaw, rawWorker, refusal, registered, sendJson, useEngine, type RawWorker } from '../support/engine'
import { httpGet, sample } from '../support/scrape'
import { useStaticCluster } from '../support/static-cluster'

/** Invokes `functionId` on a raw worker and waits for its result. */
async function invoke(worker: RawWorker, functionId: string, invocationId: string): Promise<Record<string, unknown>> {
  sendJson(worker.ws, { type: 'invokefunction', invocation_id: invocationId, function_id: functionId, data: {} })
  return worker.next('invocationresult')
}

/** A raw worker serving `functionId` by answering every invocation with `{ ok: true }`. */
async function serving(url: string, functionId: string): Promise<RawWorker> {
  const worker = await rawWorker(url)
  await registered(worker, functionId)
  worker.ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>
    if (message.type === 'invokefunction') sendJson(worker.ws, { type: 'invocationresult', invocation_id: message.invocation_id, function_id: functionId, result: { ok: true } })
  })
  return worker
}

/** Sends `frames` binary frames of `size` bytes through a new channel and waits until its reader has them all and the channel is gone. */
async function throughChannel(url: string, frames: number, size: number): Promise<void> {
  const pair = await createRawChannel(url)
  const reader = await openRaw(channelUrl(url, pair.reader))
  const writer = await openRaw(channelUrl(url, pair.writer))
  for (let index = 0; index < frames; index++) writer.ws.send(Buffer.alloc(size, index), { binary: true })
  writer.ws.close(1000)
  await reader.closed
  await writer.closed
}

describe('GET /metrics (issue 15)', () => {
  describe('without a token', () => {
    const context = useEngine()

    it('counts invocations by outcome, their latencies, and channel bytes and frames after known traffic, exactly', async () => {
      const OK = 5
      const NOT_FOUND = 3
      const FRAMES = 4
      const FRAME_BYTES = 1000
      await serving(context.url, 'echo') // one engine function: registered() lists functions
      const caller = await rawWorker(context.url)
      for (let index = 0; index < OK; index++) expect((await invoke(caller, 'echo', `ok-${index}`)).result).to.deep.equal({ ok: true })
      for (let index = 0; index < NOT_FOUND; index++) expect((await invoke(caller, 'missing', `nf-${index}`)).error).to.have.property('code', 'function_not_found')
      await throughChannel(context.url, FRAMES, FRAME_BYTES) // one engine function: engine::channels::create

      const scrape = await httpGet(context.url, '/metrics')
      expect(scrape.status).to.equal(200)
      expect(scrape.type).to.match(/^text\/plain; version=0\.0\.4/)
      const text = scrape.body
      expect(sample(text, 'rx_channels_invocations_total', { outcome: 'ok', code: '' })).to.equal(OK + 2)
      expect(sample(text, 'rx_channels_invocations_total', { outcome: 'error', code: 'function_not_found' })).to.equal(NOT_FOUND)
      // Only invocations forwarded to a worker have a latency: the engine answers its own at once.
      expect(sample(text, 'rx_channels_invocation_duration_seconds_count', { outcome: 'ok' })).to.equal(OK)
      expect(sample(text, 'rx_channels_relayed_bytes_total', { direction: 'in' })).to.equal(FRAMES * FRAME_BYTES)
      expect(sample(text, 'rx_channels_relayed_bytes_total', { direction: 'out' })).to.equal(FRAMES * FRAME_BYTES)
      expect(sample(text, 'rx_channels_relayed_frames_total', { direction: 'out' })).to.equal(FRAMES)
      expect(sample(text, 'rx_channels_channels_created_total')).to.equal(1)
      expect(sample(text, 'rx_channels_channels_finished_total')).to.equal(1)
      expect(sample(text, 'rx_channels_channels', { state: 'open' })).to.equal(0)
      expect(sample(text, 'rx_channels_workers')).to.equal(3)
      expect(sample(text, 'rx_channels_functions')).to.equal(1)
      expect(sample(text, 'rx_channels_writers_paused')).to.equal(0)
      expect(sample(text, 'rx_channels_held_bytes')).to.equal(0)
      // Process metrics, from prom-client's defaults.
      expect(sample(text, 'process_cpu_user_seconds_total')).to.be.a('number')
    })

    it('shows a channel whose reader takes nothing as open, holding the frames, with its writer paused once the buffer is full', async () => {
      const pair = await createRawChannel(context.url, { buffer_size: 2 })
      const writer = await openRaw(channelUrl(context.url, pair.writer))
      // A credit-mode reader that grants nothing: every frame stays held.
      const reader = new WebSocket(channelUrl(context.url, pair.reader), [CREDIT_SUBPROTOCOL])
      await new Promise((resolve) => reader.once('open', resolve))
      const paused = new Promise((resolve) => context.engine.events$.subscribe((event) => event.type === 'writer_paused' && resolve(event)))
      for (let index = 0; index < 2; index++) writer.ws.send(Buffer.alloc(10, index), { binary: true })
      await paused
      const text = (await httpGet(context.url, '/metrics')).body
      expect(sample(text, 'rx_channels_channels', { state: 'open' })).to.equal(1)
      expect(sample(text, 'rx_channels_held_frames')).to.equal(2)
      expect(sample(text, 'rx_channels_held_bytes')).to.equal(20)
      expect(sample(text, 'rx_channels_writers_paused')).to.equal(1)
      expect(sample(text, 'rx_channels_writer_pauses_total')).to.equal(1)
    })
  })

  describe('with a token', () => {
    const TOKEN = 'metrics-secret'
    const context = useEngine({ token: TOKEN })

    it('refuses a scrape without the token, or with a wrong one, with 401', async () => {
      const missing = await httpGet(context.url, '/metrics')
      expect(missing.status).to.equal(401)
      expect(missing.body).to.contain('missing token')
      expect((await httpGet(context.url, '/metrics', { authorization: 'Bearer wrong' })).status).to.equal(401)
      expect((await httpGet(context.url, '/metrics?token=wrong')).status).to.equal(401)
    })

    it('answers a scrape with the token, as a bearer or ?token=, and counts refused sockets by status', async () => {
      expect((await refusal(context.url)).status).to.equal(401)
      const scrape = await httpGet(context.url, '/metrics', { authorization: `Bearer ${TOKEN}` })
      expect(scrape.status).to.equal(200)
      expect(sample(scrape.body, 'rx_channels_sockets_refused_total', { status: '401', reason: 'token' })).to.equal(1)
      expect((await httpGet(context.url, `/metrics?token=${TOKEN}`)).status).to.equal(200)
    })
  })

  describe('on a node of a cluster', () => {
    const cluster = useStaticCluster(['alpha', 'beta'])

    it('labels every sample with the node, and counts the ends and bytes a node proxies to a channel home', async () => {
      const { alpha, beta } = cluster.engines
      const pair = await createRawChannel(alpha.url)
      const proxyGone = new Promise((resolve) => beta.events$.subscribe((event) => event.type === 'proxy_finished' && resolve(event)))
      // The reader reaches beta, which proxies it to alpha, the channel's home.
      const reader = await openRaw(channelUrl(beta.url, pair.reader))
      const writer = await openRaw(channelUrl(alpha.url, pair.writer))
      writer.ws.send(Buffer.alloc(300, 1), { binary: true })
      writer.ws.close(1000)
      await reader.closed
      await proxyGone
      const text = (await httpGet(beta.url, '/metrics')).body
      expect(sample(text, 'rx_channels_proxied_ends_total', { node: 'beta' })).to.equal(1)
      expect(sample(text, 'rx_channels_proxied_ends', { node: 'beta' })).to.equal(0)
      expect(sample(text, 'rx_channels_proxied_bytes_total', { node: 'beta', direction: 'to_client' })).to.be.at.least(300)
      const home = (await httpGet(alpha.url, '/metrics')).body
      expect(sample(home, 'rx_channels_relayed_bytes_total', { node: 'alpha', direction: 'out' })).to.equal(300)
    })
  })
})
