import { expect } from 'chai'
import { createHash, randomBytes, randomUUID } from 'crypto'
import { lastValueFrom, reduce, Subject } from 'rxjs'
import { createServer, type AddressInfo, type Server, type Socket } from 'net'
import WebSocket from 'ws'
import { openChannelEnd, RxChannelsError, silentLogger, type ChannelReader, type ChannelWriter } from '../../lib'
import { startEngineWith } from '../../lib/engine/engine'
import { localRouting } from '../../lib/engine/engine-routing'
import { channelUrl } from '../../lib/protocol/channel-url'
import type { StreamChannelRef } from '../../lib/protocol/refs'
import { createRawChannel, nextEvent, openRaw, refusal, statsReach } from '../support/engine'
import { useStaticCluster } from '../support/static-cluster'
import { digestChannel, produceRandom } from '../support/transfer'
import { useWorkers } from '../support/workers'

const MiB = 1024 * 1024
const TTL_MS = 150
const HEARTBEAT_MS = 100
// Long enough that a loaded machine stalling this process (three engines and the ends) is not taken for a dead peer.
const KEEP_ALIVE_HEARTBEAT_MS = 1000
const UPGRADE_TIMEOUT_MS = 200
const PROXY_BYTES = 256 * 1024

/** Resolves with `ws` once open. */
const opened = (ws: WebSocket) => new Promise<WebSocket>((resolve, reject) => ws.once('open', () => resolve(ws)).once('error', reject))

/** A TCP server that takes connections and never answers; `connected` and `allClosed` wait on them. */
function useSilentServer(): { readonly url: string; connected(): Promise<void>; allClosed(): Promise<void> } {
  const held = new Set<Socket>()
  const waiters: Array<() => void> = []
  let server: Server
  const context = {
    url: '',
    connected: () => new Promise<void>((resolve) => (held.size > 0 ? resolve() : waiters.push(resolve))),
    allClosed: () => Promise.all([...held].map((socket) => new Promise((resolve) => socket.once('close', resolve)))).then(() => undefined),
  }
  beforeEach(async () => {
    // Reads and drops what it gets, so that it sees the other side close.
    server = createServer((socket) => {
      held.add(socket.resume().on('close', () => held.delete(socket)))
      waiters.splice(0).forEach((resolve) => resolve())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    context.url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterEach(async () => {
    held.forEach((socket) => socket.destroy())
    await new Promise((resolve) => server.close(resolve))
  })
  return context
}

describe('channels across engines: an end that reaches another node is proxied to the channel home', function () {
  this.timeout(60_000)
  const cluster = useStaticCluster(['A', 'B', 'C'])
  const worker = useWorkers()
  const url = (node: string) => cluster.engines[node].url
  const end = (node: string, ref: StreamChannelRef) => openRaw(channelUrl(url(node), ref))

  it('names the home node in the channel id', async () => {
    const { writer } = await createRawChannel(url('A'))
    expect(writer.channel_id).to.match(/^A\.[0-9a-f-]{36}$/)
  })

  it('refuses to start a node whose id could not be told apart in a channel id', async () => {
    for (const selfId of ['', 'a.b', 'n'.repeat(65), 'node 1']) {
      const started = startEngineWith({ port: 0, logger: silentLogger }, (context) => ({ ...localRouting(context), channelHomes: { selfId, urlOf: () => undefined } }))
      const error = await started.then(
        (engine) => engine.close().then(() => undefined),
        (failure: unknown) => failure,
      )
      expect(error).to.be.instanceOf(RxChannelsError)
      expect(error).to.include({ code: 'invalid_option' })
    }
  })

  it('carries 32 MiB written on B and read on C, of a channel created on A, intact with text messages in order', async () => {
    const creator = await worker(url('A'))
    const { writerRef, readerRef } = await creator.createChannel()
    const proxied = ['B', 'C'].map((node) => nextEvent(cluster.engines[node], 'end_proxied', (event) => event.channel_id === writerRef.channel_id))
    const writer = openChannelEnd(writerRef, { engineUrl: url('B') }) as ChannelWriter
    const reader = openChannelEnd(readerRef, { engineUrl: url('C') }) as ChannelReader
    const [sent, received] = await Promise.all([produceRandom(writer, 32), digestChannel(reader)])
    expect(await Promise.all(proxied)).to.deep.equal(['B', 'C'].map(() => ({ type: 'end_proxied', channel_id: writerRef.channel_id, home_node: 'A' })))
    expect(received).to.deep.equal(sent)
    expect(received.bytes).to.equal(32 * MiB)
    await Promise.all(['B', 'C'].map((node) => statsReach(cluster.engines[node], (stats) => stats.proxiedEnds === 0 && stats.proxiedBytes === 0)))
  })

  it('refuses across the hop with the status and reason of the home node', async () => {
    const { writer, reader } = await createRawChannel(url('A'))
    const unknown = { ...reader, channel_id: `A.${randomUUID()}` }
    const cases = [
      { ...reader, access_key: 'wrong' },
      { ...reader, access_key: writer.access_key },
      { ...writer, access_key: reader.access_key },
      unknown,
    ]
    for (const ref of cases) {
      const direct = await refusal(channelUrl(url('A'), ref))
      expect(await refusal(channelUrl(url('B'), ref))).to.deep.equal(direct)
    }
    expect((await refusal(channelUrl(url('B'), unknown))).status).to.equal(404)
    expect((await refusal(channelUrl(url('B'), { ...reader, access_key: 'wrong' }))).status).to.equal(403)
  })

  it('closes a second end across the hop with 4409 and the reason of the home node', async () => {
    const { reader } = await createRawChannel(url('A'))
    const first = await end('B', reader)
    const second = await end('C', reader)
    expect(await second.closed).to.deep.equal({ code: 4409, reason: 'the read end of this channel is already connected' })
    first.ws.close(1000)
  })

  it('refuses a channel whose home node is no member with 404 and a reason naming the node', async () => {
    const { reader } = await createRawChannel(url('A'))
    expect(await refusal(channelUrl(url('B'), { ...reader, channel_id: `Z.${randomUUID()}` }))).to.deep.equal({
      status: 404,
      body: 'unknown or expired channel: its home node Z is gone',
    })
  })

  it('refuses a channel whose home node cannot be reached with 502 and a reason naming the node', async () => {
    const { reader } = await createRawChannel(url('A'))
    cluster.members.set('D', 'ws://127.0.0.1:1')
    expect(await refusal(channelUrl(url('B'), { ...reader, channel_id: `D.${randomUUID()}` }))).to.deep.equal({
      status: 502,
      body: 'channel home node D unreachable',
    })
  })

  it('refuses to proxy an end that was proxied to it already (508), so members that disagree on addresses cannot loop', async () => {
    const { reader } = await createRawChannel(url('A'))
    expect(await refusal(channelUrl(url('C'), reader), { headers: { 'x-rx-channels-proxied-by': 'B' } })).to.deep.equal({
      status: 508,
      body: 'channel home node A is not this node; refusing a second hop',
    })
    cluster.members.set('A', url('C'))
    expect(await refusal(channelUrl(url('B'), reader))).to.deep.equal({ status: 508, body: 'channel home node A is not this node; refusing a second hop' })
  })

  it('passes a writer abort across both hops: the reader gets 1011 and the reason the home gives a direct reader', async () => {
    const { writer, reader } = await createRawChannel(url('A'))
    const readerEnd = await end('C', reader)
    const writerEnd = await end('B', writer)
    writerEnd.ws.send(Buffer.from('partial'))
    writerEnd.ws.close(4000, 'disk full')
    expect(await readerEnd.closed).to.deep.equal({ code: 1011, reason: 'writer aborted: disk full' })
    expect(readerEnd.frames.map((frame) => frame.data.toString())).to.deep.equal(['partial'])
  })

  it('passes a writer that drops (no close frame) on as a dropped writer: the reader gets 1011, never a clean end', async () => {
    const { writer, reader } = await createRawChannel(url('A'))
    const readerEnd = await end('C', reader)
    const writerEnd = await end('B', writer)
    writerEnd.ws.send(Buffer.from('partial'), () => writerEnd.ws.terminate())
    expect(await readerEnd.closed).to.deep.equal({ code: 1011, reason: 'writer disconnected mid-stream' })
  })

  it('closes a proxied writer that sends a frame over maxFrameBytes with 1009, and its reader as the home would: 1011 and the reason', async () => {
    const { writer, reader } = await createRawChannel(url('A'))
    const readerEnd = await end('C', reader)
    const writerEnd = await end('B', writer)
    writerEnd.ws.send(Buffer.alloc(cluster.engines.B.limits.maxFrameBytes + 1))
    expect(await writerEnd.closed).to.deep.equal({ code: 1009, reason: 'message over the 1048576-byte limit (maxFrameBytes)' })
    expect(await readerEnd.closed).to.deep.equal({ code: 1011, reason: "writer aborted: it sent a frame over the engine's size limit (maxFrameBytes)" })
  })

  it('tells a proxied writer with 4410 when a proxied reader leaves first', async () => {
    const { writer, reader } = await createRawChannel(url('A'))
    const readerEnd = await end('C', reader)
    const writerEnd = await end('B', writer)
    readerEnd.ws.close(1000)
    expect(await writerEnd.closed).to.deep.equal({ code: 4410, reason: 'reader closed the channel' })
  })

  it('ends a proxied reader with 1000 after the last frame, text and binary in order', async () => {
    const { writer, reader } = await createRawChannel(url('A'))
    const readerEnd = await end('C', reader)
    const writerEnd = await end('B', writer)
    writerEnd.ws.send(Buffer.from('one'))
    writerEnd.ws.send('two')
    writerEnd.ws.send(Buffer.from('three'))
    writerEnd.ws.close(1000)
    expect((await readerEnd.closed).code).to.equal(1000)
    expect(readerEnd.frames.map((frame) => `${frame.binary ? 'bin' : 'txt'}:${frame.data}`)).to.deep.equal(['bin:one', 'txt:two', 'bin:three'])
  })

  it('echoes the subprotocol the home node chose across the hop, and none when none was offered', async () => {
    const { reader, writer } = await createRawChannel(url('A'))
    const offered = await opened(new WebSocket(channelUrl(url('B'), reader), ['rx-channels.credit.v1', 'other']))
    expect(offered.protocol).to.equal('rx-channels.credit.v1')
    const plain = await end('B', writer)
    expect(plain.ws.protocol).to.equal('')
    plain.ws.close(1000)
    expect((await new Promise<number>((resolve) => offered.once('close', resolve)))).to.equal(1000)
  })

  it('closes proxied ends with 1001 when the home node shuts down', async () => {
    const { writer, reader } = await createRawChannel(url('A'))
    const readerEnd = await end('C', reader)
    const writerEnd = await end('B', writer)
    await cluster.engines.A.close()
    expect(await readerEnd.closed).to.deep.equal({ code: 1001, reason: 'engine shutting down' })
    expect(await writerEnd.closed).to.deep.equal({ code: 1001, reason: 'engine shutting down' })
  })

  it('closes its proxied ends with 1001 when the proxying node shuts down, and the home ends the channel as for an aborted writer', async () => {
    const { writer, reader } = await createRawChannel(url('A'))
    const readerEnd = await end('A', reader)
    const writerEnd = await end('B', writer)
    await cluster.engines.B.close()
    expect(await writerEnd.closed).to.deep.equal({ code: 1001, reason: 'engine shutting down' })
    expect(await readerEnd.closed).to.deep.equal({ code: 1011, reason: 'writer aborted: engine shutting down' })
  })

  describe(`with a heartbeat of ${HEARTBEAT_MS} ms`, () => {
    const quick = useStaticCluster(['A', 'B', 'C'], () => ({ heartbeatMs: HEARTBEAT_MS }))

    it('drops a proxied reader that is dead (answers no ping, takes no byte): the home closes the writer with 4410', async () => {
      const { writer, reader } = await createRawChannel(quick.engines.A.url)
      const readerEnd = await openRaw(channelUrl(quick.engines.C.url, reader))
      readerEnd.ws.pause()
      const writerEnd = await openRaw(channelUrl(quick.engines.A.url, writer))
      for (let index = 0; index < 64; index++) writerEnd.ws.send(Buffer.alloc(64 * 1024, index))
      const closed = await writerEnd.closed
      expect(closed.code).to.equal(4410)
      expect(closed.reason).to.match(/^reader disconnected/)
      await statsReach(quick.engines.C, (stats) => stats.proxiedEnds === 0)
    })

    it('fails proxied ends with 1011 naming the home node once it leaves the cluster', async () => {
      const { writer, reader } = await createRawChannel(quick.engines.A.url)
      const readerEnd = await openRaw(channelUrl(quick.engines.C.url, reader))
      const writerEnd = await openRaw(channelUrl(quick.engines.B.url, writer))
      quick.members.delete('A')
      const lost = { code: 1011, reason: 'channel home node A lost' }
      expect(await readerEnd.closed).to.deep.equal(lost)
      expect(await writerEnd.closed).to.deep.equal(lost)
    })
  })

  describe(`with a heartbeat of ${KEEP_ALIVE_HEARTBEAT_MS} ms`, () => {
    // Long enough that one turn of this busy process (three engines, workers, ends) does not outlast a beat.
    const steady = useStaticCluster(['A', 'B', 'C'], () => ({ heartbeatMs: KEEP_ALIVE_HEARTBEAT_MS }))

    it('keeps a proxied SDK reader that paused its own socket alive, however many heartbeats pass, and it then reads everything', async () => {
      const creator = await worker(steady.engines.A.url)
      const { writer, readerRef, writerRef } = await creator.createChannel()
      const reader = openChannelEnd(readerRef, { engineUrl: steady.engines.C.url, keepAlive: { pingIntervalMs: KEEP_ALIVE_HEARTBEAT_MS / 3 } }) as ChannelReader
      const demand = new Subject<number>()
      const received = lastValueFrom(reader.flow.pull(demand).pipe(reduce((bytes, chunk) => bytes + chunk.length, 0)))
      const paused = nextEvent(steady.engines.A, 'writer_paused', (event) => event.channel_id === writerRef.channel_id).then(() => 'writer paused')
      // A reader dropped before the home paused the writer would end the channel first: fail then, do not wait on.
      const finished = nextEvent(steady.engines.A, 'channel_finished').then(() => 'finished')
      const outcome = Promise.race([paused, finished])
      let settled = false
      void outcome.then(() => (settled = true))
      // Written until the home holds the writer back: how much the kernel buffers on the way take varies.
      let total = 0
      while (!settled) {
        total++
        if (!writer.stream.write(Buffer.alloc(64 * 1024, total))) await Promise.race([new Promise((resolve) => writer.stream.once('drain', resolve)), outcome])
      }
      expect(await outcome).to.equal('writer paused')
      writer.stream.end()
      // Surviving this many windows of both heartbeats without reading is the behaviour under test.
      await new Promise((resolve) => setTimeout(resolve, 6 * KEEP_ALIVE_HEARTBEAT_MS))
      // The proxy on C still carries the end. The home, A, may have finished the channel by now: it
      // does once every byte has left it, and the kernel buffers and C's bound on the way can take them all.
      expect(steady.engines.C.stats().proxiedEnds).to.equal(1)
      demand.next(Number.MAX_SAFE_INTEGER)
      expect(await received).to.equal(total * 64 * 1024)
      await lastValueFrom(writer.closed$, { defaultValue: undefined })
    })
  })

  describe(`a slow reader across the hop (proxies hold at most ${PROXY_BYTES / 1024} KiB per direction)`, () => {
    const bounded = useStaticCluster(['A', 'B', 'C'], (node) => (node === 'A' ? { maxHeldBytesPerChannel: MiB } : { maxProxyBytesPerEnd: PROXY_BYTES }))

    it('pushes back to the writer on B through A while the reader on C does not read, with bytes held at each proxy bounded, then delivers everything', async () => {
      const { engines } = bounded
      const creator = await worker(engines.A.url)
      const { writerRef, readerRef } = await creator.createChannel()
      const readerEnd = await openRaw(channelUrl(engines.C.url, readerRef))
      readerEnd.ws.pause()
      const writer = openChannelEnd(writerRef, { engineUrl: engines.B.url }) as ChannelWriter
      const homePaused = nextEvent(engines.A, 'writer_paused', (event) => event.channel_id === writerRef.channel_id)
      let peak = 0
      const sample = () => {
        const held = ['B', 'C'].map((node) => engines[node].stats().proxiedBytes)
        peak = Math.max(peak, ...held)
        return held
      }
      // Both proxies have stopped reading the side that sends: each holds its bound.
      const saturated = new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (sample().every((held) => held >= PROXY_BYTES)) {
            clearInterval(poll)
            resolve()
          }
        }, 5)
      })
      const sent = createHash('sha256')
      let sentBytes = 0
      let stop = false
      void saturated.then(() => (stop = true))
      while (!stop) {
        const chunk = randomBytes(64 * 1024)
        sent.update(chunk)
        sentBytes += chunk.length
        if (!writer.stream.write(chunk)) await Promise.race([new Promise((resolve) => writer.stream.once('drain', resolve)), saturated])
      }
      await homePaused
      sample()
      expect(peak).to.be.at.most(PROXY_BYTES + 128 * 1024)
      const writerDone = new Promise<void>((resolve) => writer.stream.end(resolve))
      readerEnd.ws.resume()
      expect((await readerEnd.closed).code).to.equal(1000)
      await writerDone
      const received = createHash('sha256')
      for (const frame of readerEnd.frames) received.update(frame.data)
      expect(readerEnd.frames.reduce((total, frame) => total + frame.data.length, 0)).to.equal(sentBytes)
      expect(received.digest('hex')).to.equal(sent.digest('hex'))
    })
  })

  it('counts the hop to the home as a connection of the proxying node, until it closes', async () => {
    const { reader } = await createRawChannel(url('A'))
    const readerEnd = await end('B', reader)
    expect(cluster.engines.B.stats()).to.include({ proxiedEnds: 1, connections: 2 })
    readerEnd.ws.close(1000)
    await statsReach(cluster.engines.B, (stats) => stats.proxiedEnds === 0 && stats.connections === 0)
  })

  describe('a home node that accepts connections but never answers an upgrade', () => {
    const silentHome = useSilentServer()

    describe(`and a proxying node with upgradeTimeoutMs ${UPGRADE_TIMEOUT_MS}`, () => {
      const impatient = useStaticCluster(['A', 'B'], (node) => (node === 'B' ? { upgradeTimeoutMs: UPGRADE_TIMEOUT_MS } : {}))

      it('refuses the end with 502 once that time has passed, and closes the hop', async () => {
        impatient.members.set('D', silentHome.url)
        const { reader } = await createRawChannel(impatient.engines.A.url)
        expect(await refusal(channelUrl(impatient.engines.B.url, { ...reader, channel_id: `D.${randomUUID()}` }))).to.deep.equal({
          status: 502,
          body: 'channel home node D unreachable',
        })
        await silentHome.allClosed()
      })
    })

    describe('and a proxying node that would wait for it far longer than this test', () => {
      const patient = useStaticCluster(['A', 'B'], (node) => (node === 'B' ? { upgradeTimeoutMs: 3_600_000 } : {}))

      it('closes the hop as soon as the client leaves during its handshake', async () => {
        patient.members.set('D', silentHome.url)
        const { reader } = await createRawChannel(patient.engines.A.url)
        const client = new WebSocket(channelUrl(patient.engines.B.url, { ...reader, channel_id: `D.${randomUUID()}` }))
        client.on('error', () => undefined)
        await silentHome.connected()
        client.terminate()
        await silentHome.allClosed()
      })
    })
  })

  describe('a proxying node at maxConnections 1', () => {
    const full = useStaticCluster(['A', 'B'], (node) => (node === 'B' ? { maxConnections: 1 } : {}))

    it('refuses an end it would proxy with 503: the hop to the home would pass its connection limit', async () => {
      const { reader } = await createRawChannel(full.engines.A.url)
      expect(await refusal(channelUrl(full.engines.B.url, reader))).to.deep.equal({
        status: 503,
        body: 'engine at its connection limit (maxConnections 1); retry later',
      })
    })
  })

  describe('a proxying node whose engine-wide maxHeldBytes is below maxProxyBytesPerEnd', () => {
    const tight = useStaticCluster(['A', 'C'], (node) =>
      node === 'A' ? { maxHeldBytesPerChannel: MiB } : { maxHeldBytes: PROXY_BYTES, maxProxyBytesPerEnd: 32 * MiB },
    )

    it('stops reading the home at maxHeldBytes: proxied ends count against the same budget as its own channels', async () => {
      const { engines } = tight
      const creator = await worker(engines.A.url)
      const { writer, readerRef, writerRef } = await creator.createChannel()
      const readerEnd = await openRaw(channelUrl(engines.C.url, readerRef))
      readerEnd.ws.pause()
      const homePaused = nextEvent(engines.A, 'writer_paused', (event) => event.channel_id === writerRef.channel_id)
      let paused = false
      void homePaused.then(() => (paused = true))
      let sentBytes = 0
      while (!paused) {
        sentBytes += 64 * 1024
        if (!writer.stream.write(Buffer.alloc(64 * 1024, sentBytes))) await Promise.race([new Promise((resolve) => writer.stream.once('drain', resolve)), homePaused])
      }
      expect(engines.C.stats().proxiedBytes).to.be.within(PROXY_BYTES, PROXY_BYTES + 128 * 1024)
      const writerDone = new Promise<void>((resolve) => writer.stream.end(resolve))
      readerEnd.ws.resume()
      expect((await readerEnd.closed).code).to.equal(1000)
      await writerDone
      expect(readerEnd.frames.reduce((total, frame) => total + frame.data.length, 0)).to.equal(sentBytes)
    })
  })

  describe(`with a channel TTL of ${TTL_MS} ms on the home node`, () => {
    const short = useStaticCluster(['A', 'B'], (node) => (node === 'A' ? { channelTtlMs: TTL_MS } : {}))

    it('closes a proxied writer whose reader never connected with 4408 and the reason of the home node', async () => {
      const { writer, reader } = await createRawChannel(short.engines.A.url)
      const writerEnd = await openRaw(channelUrl(short.engines.B.url, writer))
      expect(await writerEnd.closed).to.deep.equal({ code: 4408, reason: `channel expired: the reader never connected within ${TTL_MS} ms` })
      expect(await refusal(channelUrl(short.engines.B.url, reader))).to.deep.equal({ status: 404, body: 'unknown or expired channel' })
    })
  })
})
