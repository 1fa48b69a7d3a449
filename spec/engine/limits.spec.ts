import { expect } from 'chai'
import { lastValueFrom } from 'rxjs'
import { ChannelError, InvocationError, RxChannelsError, silentLogger, startEngine } from '../../lib'
import { channelUrl } from '../../lib/protocol/channel-url'
import { createRawChannel, nextEvent, openRaw, rawWorker, recordingLogger, sendJson, useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

const rejection = <T = InvocationError>(promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: T) => error,
  )

describe('engine limits', () => {
  describe('maxFrameBytes: a channel frame over it', () => {
    const context = useEngine({ maxFrameBytes: 1024 })
    const worker = useWorkers()

    it('closes the writer with 1009 and a reason naming the limit, and the reader with 1011', async () => {
      const { writer, reader } = await createRawChannel(context.url)
      const readerEnd = await openRaw(channelUrl(context.url, reader))
      const writerEnd = await openRaw(channelUrl(context.url, writer))
      writerEnd.ws.send(Buffer.alloc(1024, 1))
      writerEnd.ws.send(Buffer.alloc(1025, 2))
      expect(await writerEnd.closed).to.deep.equal({ code: 1009, reason: 'message over the 1024-byte limit (maxFrameBytes)' })
      const readerClose = await readerEnd.closed
      expect(readerClose.code).to.equal(1011)
      expect(readerClose.reason).to.match(/frame over the engine's size limit \(maxFrameBytes\)/)
      // The frame within the limit was delivered before the abort.
      expect(readerEnd.frames.map((frame) => frame.data.length)).to.deep.equal([1024])
    })

    it('fails an SDK writer with frame_too_big and its reader with writer_aborted', async () => {
      const { writer, reader } = await (await worker(context.url)).createChannel()
      const read = rejection<ChannelError>(reader.readAll())
      writer.write(Buffer.alloc(4096))
      const failed = await rejection<ChannelError>(lastValueFrom(writer.closed$))
      expect(failed).to.be.instanceOf(ChannelError)
      expect(failed).to.include({ code: 'frame_too_big' })
      expect(failed.details.closeCode).to.equal(1009)
      expect(failed.message).to.contain('maxFrameBytes')
      expect(await read).to.include({ code: 'writer_aborted' })
    })
  })

  describe('maxMessageBytes: a control message over it', () => {
    const logger = recordingLogger()
    const context = useEngine({ maxMessageBytes: 4096, logger })
    const worker = useWorkers()

    it('closes that worker socket with 1009 and a reason, logs it, and keeps serving other workers', async () => {
      const healthy = await worker(context.url)
      healthy.registerFunction('echo', (input: unknown) => input)
      await healthy.ready()
      const hostile = await rawWorker(context.url)
      sendJson(hostile.ws, { type: 'registerfunction', id: 'x'.repeat(5000) })
      const gone = nextEvent(context.engine, 'worker_disconnected')
      expect(await hostile.closed).to.deep.equal({ code: 1009, reason: 'message over the 4096-byte limit (maxMessageBytes)' })
      await gone
      expect(logger.lines.some((line) => /^warn: worker .+: closed with 1009: it sent a message over the 4096-byte limit \(maxMessageBytes\)$/.test(line))).to.equal(true)
      expect(await healthy.trigger({ function_id: 'echo', payload: 'still here' })).to.equal('still here')
    })

    it('fails an SDK trigger whose payload is over it with connection_lost naming the limit', async () => {
      const client = await worker(context.url)
      const error = await rejection(client.trigger({ function_id: 'anything', payload: 'y'.repeat(5000) }))
      expect(error).to.include({ code: 'connection_lost' })
      expect(error.message).to.contain('maxMessageBytes')
      // The client reconnects on its own and works again.
      await client.ready()
    })
  })

  describe('maxChannelsPerWorker', () => {
    const context = useEngine({ maxChannelsPerWorker: 2 })
    const worker = useWorkers()

    it('answers engine::channels::create with too_many_channels past it, per worker, until one finishes', async () => {
      const client = await worker(context.url)
      const first = await client.createChannel()
      await client.createChannel()
      const refused = await rejection(client.createChannel())
      expect(refused).to.be.instanceOf(InvocationError)
      expect(refused).to.include({ code: 'too_many_channels', function_id: 'engine::channels::create' })
      expect(refused.message).to.contain('maxChannelsPerWorker')
      // Another worker has a limit of its own.
      await (await worker(context.url)).createChannel()

      const finished = nextEvent(context.engine, 'channel_finished', (event) => event.channel_id === first.readerRef.channel_id)
      first.writer.close()
      await first.reader.readAll()
      await finished
      await client.createChannel()
    })
  })

  describe('maxPendingInvocationsPerWorker', () => {
    const context = useEngine({ maxPendingInvocationsPerWorker: 2 })
    const worker = useWorkers()

    it('answers an invocation past it with too_many_pending_invocations, until a pending one completes', async () => {
      const callee = await worker(context.url)
      const held: Array<() => void> = []
      let onHeld = () => undefined as void
      callee.registerFunction('wait', () =>
        new Promise<string>((resolve) => {
          held.push(() => resolve('done'))
          onHeld()
        }),
      )
      await callee.ready()
      // Resolves once the callee holds `count` invocations: the engine has forwarded them all.
      const holding = (count: number) =>
        new Promise<void>((resolve) => {
          onHeld = () => held.length === count && resolve()
          onHeld()
        })
      const caller = await worker(context.url)
      const pending = [caller.trigger({ function_id: 'wait' }), caller.trigger({ function_id: 'wait' })]
      await holding(2)
      const refused = await rejection(caller.trigger({ function_id: 'wait' }))
      expect(refused).to.include({ code: 'too_many_pending_invocations', function_id: 'wait' })
      expect(refused.message).to.contain('maxPendingInvocationsPerWorker')
      // Engine functions answer at once and are not held against the limit.
      expect(await caller.trigger({ function_id: 'engine::functions::list', payload: {} })).to.have.property('functions')

      held.shift()?.()
      expect(await pending[0]).to.equal('done')
      const third = caller.trigger({ function_id: 'wait' })
      await holding(2)
      held.splice(0).forEach((resolve) => resolve())
      expect(await Promise.all([pending[1], third])).to.deep.equal(['done', 'done'])
      expect(context.engine.stats().pendingInvocations).to.equal(0)
    })
  })

  describe('maxBufferFrames', () => {
    const context = useEngine({ maxBufferFrames: 8 })

    it('caps buffer_size to it (as iii caps at 1024), says so in the result, and pauses the writer there', async () => {
      const created = nextEvent(context.engine, 'channel_created')
      const { writer, reader, buffer_size } = await createRawChannel(context.url, { buffer_size: 100 })
      expect(buffer_size).to.equal(8)
      expect(await created).to.deep.include({ buffer_size: 8 })
      const paused = nextEvent(context.engine, 'writer_paused')
      const writerEnd = await openRaw(channelUrl(context.url, writer))
      for (let index = 0; index < 32; index++) writerEnd.ws.send(Buffer.alloc(1024, index))
      expect(await paused).to.deep.include({ held_frames: 8 })
      writerEnd.ws.close(1000)
      const readerEnd = await openRaw(channelUrl(context.url, reader))
      expect((await readerEnd.closed).code).to.equal(1000)
      expect(readerEnd.frames).to.have.length(32)
    })

    it('grants it when no buffer_size is asked for and it is below the default of 64', async () => {
      expect((await createRawChannel(context.url)).buffer_size).to.equal(8)
    })
  })

  it('refuses a limit that is not a whole number >= 1 with invalid_option, before listening', async () => {
    for (const options of [{ maxFrameBytes: 0 }, { maxChannelsPerWorker: 1.5 }, { channelTtlMs: -1 }, { token: '' }]) {
      const error = await rejection<RxChannelsError>(startEngine({ port: 0, logger: silentLogger, ...options }))
      expect(error, JSON.stringify(options)).to.be.instanceOf(RxChannelsError)
      expect(error).to.include({ code: 'invalid_option' })
    }
  })

  describe('defaults', () => {
    const context = useEngine()

    it('are the ones the README documents', () => {
      expect(context.engine.limits).to.deep.equal({
        maxMessageBytes: 16 * 1024 * 1024,
        maxFrameBytes: 1024 * 1024,
        maxChannelsPerWorker: 4096,
        maxPendingInvocationsPerWorker: 10_000,
        maxBufferFrames: 1024,
        channelTtlMs: 300_000,
        maxFunctionsPerWorker: 1000,
        maxFunctionIdBytes: 256,
        maxRegistrationBytes: 64 * 1024,
        maxRegistrationBytesPerWorker: 8 * 1024 * 1024,
        functionReservationMs: 15_000,
        maxConnections: 10_000,
        maxConnectionsPerAddress: 1024,
        upgradeTimeoutMs: 5_000,
        maxTelemetryMessageBytes: 1024 * 1024,
        telemetryIdleMs: 90_000,
        maxQueuedBytesPerWorker: 16 * 1024 * 1024,
        workerDrainGraceMs: 10_000,
        maxHeldBytesPerChannel: 16 * 1024 * 1024,
        maxHeldBytesPerWorker: 128 * 1024 * 1024,
        maxHeldBytes: 512 * 1024 * 1024,
        maxProxyBytesPerEnd: 2 * 1024 * 1024,
        maxOtlpQueueBytes: 16 * 1024 * 1024,
        otlpTimeoutMs: 10_000,
      })
    })

    it('let a stream of 64 KiB frames through (what writers send)', async () => {
      const { writer, reader } = await createRawChannel(context.url)
      const readerEnd = await openRaw(channelUrl(context.url, reader))
      const writerEnd = await openRaw(channelUrl(context.url, writer))
      writerEnd.ws.send(Buffer.alloc(65536))
      writerEnd.ws.close(1000)
      expect((await readerEnd.closed).code).to.equal(1000)
      expect(readerEnd.frames.map((frame) => frame.data.length)).to.deep.equal([65536])
    })
  })
})
