import { expect } from 'chai'
import { lastValueFrom } from 'rxjs'
import WebSocket from 'ws'
import { ChannelError, InvocationError, silentLogger, startEngine, type Engine } from '../../lib'
import { channelUrl } from '../../lib/protocol/channel-url'
import { createRawChannel, nextEvent, openRaw, rawWorker, refusal, sendJson, statsReach, useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

const TTL_MS = 150

const failure = <T>(promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: T) => error,
  )

describe('channel lifetime', () => {
  describe(`TTL sweep (channelTtlMs: ${TTL_MS})`, () => {
    const context = useEngine({ channelTtlMs: TTL_MS })
    const worker = useWorkers()

    it('closes a writer whose reader never connected with 4408 and a reason, then forgets the channel (404)', async () => {
      const { writer, reader } = await createRawChannel(context.url)
      const writerEnd = await openRaw(channelUrl(context.url, writer))
      writerEnd.ws.send(Buffer.from('never read'))
      const expired = await nextEvent(context.engine, 'channel_expired', (event) => event.channel_id === writer.channel_id)
      expect(expired.reason).to.equal(`channel expired: the reader never connected within ${TTL_MS} ms`)
      expect(await writerEnd.closed).to.deep.equal({ code: 4408, reason: expired.reason })
      expect(context.engine.stats()).to.include({ channels: 0, heldFrames: 0 })
      expect(await refusal(channelUrl(context.url, reader))).to.deep.equal({ status: 404, body: 'unknown or expired channel' })
    })

    it('fails an SDK writer with channel_expired when its reader never connects', async () => {
      const { writer } = await (await worker(context.url)).createChannel()
      writer.write(Buffer.from('into the void'))
      const error = await failure<ChannelError>(lastValueFrom(writer.closed$))
      expect(error).to.be.instanceOf(ChannelError)
      expect(error).to.include({ code: 'channel_expired' })
      expect(error.details.closeCode).to.equal(4408)
      expect(error.message).to.contain('the reader never connected')
    })

    it('fails an SDK reader with channel_expired when its writer never connects', async () => {
      const { reader } = await (await worker(context.url)).createChannel()
      const error = await failure<ChannelError>(reader.readAll())
      expect(error).to.include({ code: 'channel_expired' })
      expect(error.message).to.contain('the writer never connected')
    })

    it('sweeps channels that neither end connected to', async () => {
      const { writer } = await createRawChannel(context.url)
      const expired = await nextEvent(context.engine, 'channel_expired', (event) => event.channel_id === writer.channel_id)
      expect(expired.reason).to.equal(`channel expired: neither end connected within ${TTL_MS} ms`)
      await statsReach(context.engine, (stats) => stats.channels === 0)
    })

    it('never sweeps a channel connected on both ends, however long it lives', async () => {
      const older = await createRawChannel(context.url)
      const readerEnd = await openRaw(channelUrl(context.url, older.reader))
      const writerEnd = await openRaw(channelUrl(context.url, older.writer))
      writerEnd.ws.send(Buffer.from('before'))
      // A channel created later expires later: once it has, the older one was past its TTL too.
      const younger = await createRawChannel(context.url)
      await nextEvent(context.engine, 'channel_expired', (event) => event.channel_id === younger.writer.channel_id)
      writerEnd.ws.send(Buffer.from('after'))
      writerEnd.ws.close(1000)
      expect((await readerEnd.closed).code).to.equal(1000)
      expect(readerEnd.frames.map((frame) => frame.data.toString())).to.deep.equal(['before', 'after'])
    })
  })

  for (const drop of [true, false]) {
    describe(`dropChannelsOfGoneWorkers: ${drop}`, () => {
      const context = useEngine({ dropChannelsOfGoneWorkers: drop })

      it(
        drop
          ? "aborts the channels a worker created when it disconnects: its ends are closed with 1011 and the worker's id"
          : 'keeps the channels of a worker that disconnected: they still carry data to the end',
        async () => {
          const creator = await rawWorker(context.url)
          const creatorId = (await creator.next('workerregistered')).worker_id as string
          sendJson(creator.ws, { type: 'invokefunction', invocation_id: 'c', function_id: 'engine::channels::create', data: {} })
          const { writer, reader } = (await creator.next('invocationresult')).result as Awaited<ReturnType<typeof createRawChannel>>
          const readerEnd = await openRaw(channelUrl(context.url, reader))
          const writerEnd = await openRaw(channelUrl(context.url, writer))
          writerEnd.ws.send(Buffer.from('first'))
          const gone = nextEvent(context.engine, 'worker_disconnected')
          creator.ws.terminate()
          await gone
          if (drop) {
            const reason = `worker ${creatorId} disconnected`
            expect(await readerEnd.closed).to.deep.equal({ code: 1011, reason })
            expect(await writerEnd.closed).to.deep.equal({ code: 1011, reason })
            expect(context.engine.stats().channels).to.equal(0)
          } else {
            expect(context.engine.stats().channels).to.equal(1)
            writerEnd.ws.send(Buffer.from('second'))
            writerEnd.ws.close(1000)
            expect((await readerEnd.closed).code).to.equal(1000)
            expect(readerEnd.frames.map((frame) => frame.data.toString())).to.deep.equal(['first', 'second'])
            await statsReach(context.engine, (stats) => stats.channels === 0)
          }
        },
      )
    })
  }
})

describe('engine.close() (what SIGTERM does)', () => {
  const worker = useWorkers()
  let engine: Engine

  beforeEach(async () => {
    engine = await startEngine({ port: 0, logger: silentLogger })
  })
  afterEach(async () => {
    await engine.close()
  })

  it('fails pending invocations and open channels with engine_shutting_down, and stops accepting at once', async () => {
    const callee = await worker(engine.url)
    let started = () => undefined as void
    const running = new Promise<void>((resolve) => (started = resolve))
    callee.registerFunction('hang', () => {
      started()
      return new Promise(() => undefined)
    })
    await callee.ready()
    const caller = await worker(engine.url)
    const invocation = failure<InvocationError>(caller.trigger({ function_id: 'hang', timeoutMs: 60_000 }))
    await running
    const { writer, reader } = await caller.createChannel()
    const firstChunk = new Promise<void>((resolve) => reader.chunks$.subscribe({ next: () => resolve(), error: () => undefined }))
    writer.write(Buffer.from('in flight'))
    await firstChunk
    const readerFailed = failure<ChannelError>(reader.readAll())
    const writerFailed = failure<ChannelError>(lastValueFrom(writer.closed$))

    const closed = engine.close()
    const refused = await failure<Error & { code?: string }>(openRaw(engine.url))
    expect(refused.code).to.equal('ECONNREFUSED')

    const invocationError = await invocation
    expect(invocationError).to.be.instanceOf(InvocationError)
    expect(invocationError).to.include({ code: 'engine_shutting_down', function_id: 'hang' })
    expect(invocationError.message).to.contain('engine shutting down')
    for (const error of [await readerFailed, await writerFailed]) {
      expect(error).to.be.instanceOf(ChannelError)
      expect(error).to.include({ code: 'engine_shutting_down' })
      expect(error.details.closeCode).to.equal(1001)
    }
    await closed
    expect(engine.stats()).to.include({ workers: 0, channels: 0, sockets: 0, pendingInvocations: 0 })
  })

  it('closes raw worker and channel sockets with 1001 "engine shutting down"', async () => {
    const raw = await rawWorker(engine.url)
    const { writer } = await createRawChannel(engine.url)
    const writerEnd = await openRaw(channelUrl(engine.url, writer))
    await engine.close()
    expect(await raw.closed).to.deep.equal({ code: 1001, reason: 'engine shutting down' })
    expect(await writerEnd.closed).to.deep.equal({ code: 1001, reason: 'engine shutting down' })
    expect(writerEnd.ws.readyState).to.equal(WebSocket.CLOSED)
  })
})
