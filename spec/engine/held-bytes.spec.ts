import { expect } from 'chai'
import { request } from 'http'
import WebSocket from 'ws'
import { channelUrl } from '../../lib/protocol/channel-url'
import type { ChannelPair } from '../../lib/protocol/refs'
import { nextEvent, openRaw, rawWorker, sendJson, statsReach, useEngine, type RawWorker } from '../support/engine'

const KiB = 1024
const FRAME = 64 * KiB

/** Creates a channel owned by `worker`, as any worker would. */
async function createChannel(worker: RawWorker, bufferSize = 1024): Promise<ChannelPair> {
  const id = `create-${Math.random()}`
  sendJson(worker.ws, { type: 'invokefunction', invocation_id: id, function_id: 'engine::channels::create', data: { buffer_size: bufferSize } })
  const answer = await worker.next('invocationresult')
  expect(answer.invocation_id).to.equal(id)
  return answer.result as ChannelPair
}

/** `count` binary frames of 64 KiB, each filled with its index, sent as fast as the socket takes them. */
function sendFrames(ws: WebSocket, count: number): void {
  for (let index = 0; index < count; index++) ws.send(Buffer.alloc(FRAME, index % 256), { binary: true })
}

/** Resolves once `count` frames have arrived on `ws`, with the fill byte of each. */
function receiveFrames(ws: WebSocket, count: number): Promise<number[]> {
  const fills: number[] = []
  return new Promise((resolve) =>
    ws.on('message', (data: Buffer) => {
      fills.push(data[0])
      if (fills.length === count) resolve(fills)
    }),
  )
}

const inOrder = (count: number) => Array.from({ length: count }, (_, index) => index % 256)

async function health(url: string): Promise<Record<string, unknown>> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/health' }, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (part: string) => (body += part))
      response.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>))
    })
      .on('error', reject)
      .end()
  })
}

describe('held bytes: per channel, per creating worker, engine-wide (issue 10 item 3)', () => {
  describe('maxHeldBytesPerChannel', () => {
    const limit = 256 * KiB
    const context = useEngine({ maxHeldBytesPerChannel: limit })

    it('holds at most the limit (plus what one socket read held) for a reader that never connects, pausing the writer, and loses nothing', async () => {
      const { writer, reader } = await createChannel(await rawWorker(context.url))
      const paused = nextEvent(context.engine, 'writer_paused')
      const writerEnd = await openRaw(channelUrl(context.url, writer))
      sendFrames(writerEnd.ws, 64)
      const event = await paused
      expect(event.held_frames).to.be.below(1024)
      expect(event.held_bytes).to.be.at.least(limit)
      // ws may still parse frames it had already read when paused: at most what one socket read held.
      expect(context.engine.stats().heldBytes).to.be.within(limit, limit + 2 * FRAME)
      writerEnd.ws.close(1000)
      const readerEnd = await openRaw(channelUrl(context.url, reader))
      expect((await readerEnd.closed).code).to.equal(1000)
      expect(readerEnd.frames.map((frame) => frame.data[0])).to.deep.equal(inOrder(64))
    })
  })

  describe('maxHeldBytesPerWorker', () => {
    const limit = 512 * KiB
    const context = useEngine({ maxHeldBytesPerWorker: limit })

    it("pauses every writer of a worker whose channels hold its budget, not other workers' writers, and resumes them once another of its channels drains", async () => {
      const owner = await rawWorker(context.url)
      const stuck = await createChannel(owner)
      const sibling = await createChannel(owner)
      const other = await createChannel(await rawWorker(context.url))

      const stuckPaused = nextEvent(context.engine, 'writer_paused', (event) => event.channel_id === stuck.writer.channel_id)
      const stuckWriter = await openRaw(channelUrl(context.url, stuck.writer))
      sendFrames(stuckWriter.ws, 16)
      await stuckPaused
      expect(context.engine.stats().heldBytes).to.be.within(limit, limit + 2 * FRAME)

      // The sibling's reader is connected and reading, yet its writer waits for its worker's budget.
      const siblingPaused = nextEvent(context.engine, 'writer_paused', (event) => event.channel_id === sibling.writer.channel_id)
      const siblingReader = await openRaw(channelUrl(context.url, sibling.reader))
      const siblingFrames = receiveFrames(siblingReader.ws, 4)
      const siblingWriter = await openRaw(channelUrl(context.url, sibling.writer))
      sendFrames(siblingWriter.ws, 4)
      expect(await siblingPaused).to.include({ held_frames: 1 })

      // Another worker's channel has its own budget.
      const otherReader = await openRaw(channelUrl(context.url, other.reader))
      const otherFrames = receiveFrames(otherReader.ws, 4)
      sendFrames((await openRaw(channelUrl(context.url, other.writer))).ws, 4)
      expect(await otherFrames).to.deep.equal(inOrder(4))

      // Draining the stuck channel frees the budget: the sibling resumes and delivers.
      const siblingResumed = nextEvent(context.engine, 'writer_resumed', (event) => event.channel_id === sibling.writer.channel_id)
      const stuckReader = await openRaw(channelUrl(context.url, stuck.reader))
      const stuckFrames = receiveFrames(stuckReader.ws, 16)
      await siblingResumed
      expect(await siblingFrames).to.deep.equal(inOrder(4))
      expect(await stuckFrames).to.deep.equal(inOrder(16))
    })
  })

  describe('maxHeldBytes (engine-wide)', () => {
    const limit = 512 * KiB
    const context = useEngine({ maxHeldBytes: limit })

    it("pauses other workers' writers while the engine holds its budget, and resumes them once it frees up", async () => {
      const stuck = await createChannel(await rawWorker(context.url))
      const other = await createChannel(await rawWorker(context.url))

      const stuckPaused = nextEvent(context.engine, 'writer_paused', (event) => event.channel_id === stuck.writer.channel_id)
      const stuckWriter = await openRaw(channelUrl(context.url, stuck.writer))
      sendFrames(stuckWriter.ws, 16)
      await stuckPaused
      expect(context.engine.stats().heldBytes).to.be.within(limit, limit + 2 * FRAME)

      const otherPaused = nextEvent(context.engine, 'writer_paused', (event) => event.channel_id === other.writer.channel_id)
      const otherReader = await openRaw(channelUrl(context.url, other.reader))
      const otherFrames = receiveFrames(otherReader.ws, 4)
      sendFrames((await openRaw(channelUrl(context.url, other.writer))).ws, 4)
      await otherPaused

      const otherResumed = nextEvent(context.engine, 'writer_resumed', (event) => event.channel_id === other.writer.channel_id)
      const stuckReader = await openRaw(channelUrl(context.url, stuck.reader))
      const stuckFrames = receiveFrames(stuckReader.ws, 16)
      await otherResumed
      expect(await otherFrames).to.deep.equal(inOrder(4))
      expect(await stuckFrames).to.deep.equal(inOrder(16))
      await statsReach(context.engine, (stats) => stats.heldBytes === 0)
    })
  })

  describe('a cleanly ended stream still draining (issue 10 item 7a)', () => {
    const context = useEngine({ maxHeldBytesPerChannel: 64 * 1024 * 1024 })

    it('still counts in /health (channels, heldFrames, heldBytes) until its reader has taken the last frame', async () => {
      const frames = 384
      const { writer, reader } = await createChannel(await rawWorker(context.url))
      const readerEnd = await openRaw(channelUrl(context.url, reader))
      // A reader that does not read: what its kernel buffers cannot take stays with the engine.
      readerEnd.ws.pause()
      const writerEnd = await openRaw(channelUrl(context.url, writer))
      sendFrames(writerEnd.ws, frames)
      writerEnd.ws.close(1000)
      expect((await writerEnd.closed).code).to.equal(1000)

      const during = await health(context.url)
      expect(during).to.include({ channels: 1 })
      expect(during.heldFrames).to.be.above(0)
      expect(during.heldBytes).to.be.above(0)

      readerEnd.ws.resume()
      expect((await readerEnd.closed).code).to.equal(1000)
      expect(readerEnd.frames.map((frame) => frame.data[0])).to.deep.equal(inOrder(frames))
      await statsReach(context.engine, (stats) => stats.channels === 0)
      expect(await health(context.url)).to.include({ channels: 0, heldFrames: 0, heldBytes: 0 })
    })
  })
})
