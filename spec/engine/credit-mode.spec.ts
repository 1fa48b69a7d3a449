import { expect } from 'chai'
import { once } from 'events'
import { request } from 'http'
import { randomBytes } from 'crypto'
import WebSocket from 'ws'
import { channelUrl } from '../../lib/protocol/channel-url'
import { CREDIT_SUBPROTOCOL, MAX_OUTSTANDING_CREDIT } from '../../lib/protocol/credit'
import type { ChannelPair, StreamChannelRef } from '../../lib/protocol/refs'
import { createRawChannel, nextEvent, openRaw, rawWorker, recordingLogger, sendJson, statsReach, useEngine, type RawFrame, type RawSocket } from '../support/engine'

/** A raw reader that offers `protocols`, its frames and close recorded from the start, as {@link openRaw} does. */
function openReader(url: string, ref: StreamChannelRef, protocols: string[] = [CREDIT_SUBPROTOCOL]): Promise<RawSocket> {
  const ws = new WebSocket(channelUrl(url, ref), protocols)
  const frames: RawFrame[] = []
  ws.on('message', (data: Buffer, binary: boolean) => frames.push({ data, binary }))
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }))
    ws.once('error', reject)
  })
}

const CREDIT_SHAPE = /^credit protocol violation: expected \{"type":"credit","frames":N\}, N a whole number from 1 to 1048576$/

const grant = (ws: WebSocket, frames: unknown) => ws.send(JSON.stringify({ type: 'credit', frames }))

/**
 * Resolves once the engine has answered a ping sent now. The engine sends what a grant allows
 * as it handles the grant, before it reads the ping behind it, so every frame owed for the
 * grants sent so far has arrived by then.
 */
async function roundTrip(ws: WebSocket): Promise<void> {
  const pong = once(ws, 'pong')
  ws.ping()
  await pong
}

/** Resolves once `socket` has received `count` frames. */
async function framesReach(socket: RawSocket, count: number): Promise<void> {
  while (socket.frames.length < count) await once(socket.ws, 'message')
}

/** The headers of a 101 answer to an upgrade of `url` offering `protocols`; the socket is dropped at once. */
function upgradeHeaders(url: string, protocols: string): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    const upgrade = request(url.replace(/^ws/, 'http'), {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': protocols,
      },
    })
    upgrade.once('upgrade', (response, socket) => {
      socket.destroy()
      resolve(response.headers)
    })
    upgrade.once('response', (response) => reject(new Error(`upgrade answered with ${response.statusCode}`)))
    upgrade.once('error', reject)
    upgrade.end()
  })
}

describe('channel reader credit mode: what a bad grant held stays out of logs and close reasons', () => {
  const logger = recordingLogger()
  const context = useEngine({ logger })

  it('never quotes back what the reader sent', async () => {
    const { writer, reader } = await createRawChannel(context.url)
    const readerEnd = await openReader(context.url, reader)
    const writerEnd = await openRaw(channelUrl(context.url, writer))
    readerEnd.ws.send(JSON.stringify({ type: 'credit', frames: reader.access_key }))
    const closed = await Promise.all([readerEnd.closed, writerEnd.closed])
    await statsReach(context.engine, (stats) => stats.channels === 0)
    const second = await createRawChannel(context.url)
    const secondReader = await openReader(context.url, second.reader)
    secondReader.ws.send(JSON.stringify({ type: second.reader.access_key }))
    closed.push(await secondReader.closed)
    await statsReach(context.engine, (stats) => stats.channels === 0)
    expect(logger.lines.some((line) => line.includes('credit protocol violation'))).to.equal(true)
    for (const key of [reader.access_key, second.reader.access_key]) {
      expect(logger.lines.filter((line) => line.includes(key))).to.deep.equal([])
      expect(closed.filter(({ reason }) => reason.includes(key))).to.deep.equal([])
    }
  })
})

describe('channel reader credit mode', () => {
  const context = useEngine()

  it('selects the credit subprotocol for a reader that offers it, among others', async () => {
    const { reader } = await createRawChannel(context.url)
    const readerEnd = await openReader(context.url, reader, ['something-else', CREDIT_SUBPROTOCOL])
    expect(readerEnd.ws.protocol).to.equal(CREDIT_SUBPROTOCOL)
  })

  it('never selects it for a writer, nor any protocol for a reader that does not offer it', async () => {
    const { writer, reader } = await createRawChannel(context.url)
    const writerAnswer = await upgradeHeaders(channelUrl(context.url, writer), CREDIT_SUBPROTOCOL)
    expect(writerAnswer['sec-websocket-protocol']).to.equal(undefined)
    const readerAnswer = await upgradeHeaders(channelUrl(context.url, reader), 'something-else')
    expect(readerAnswer['sec-websocket-protocol']).to.equal(undefined)
  })

  it('sends no frame beyond the credit granted; later grants resume the flow up to a clean end', async () => {
    const { writer, reader } = await createRawChannel(context.url)
    const readerEnd = await openReader(context.url, reader)
    const writerEnd = await openRaw(channelUrl(context.url, writer))
    const sent = Array.from({ length: 10 }, (_, index) => (index % 3 === 2 ? `message ${index}` : randomBytes(1000)))
    for (const data of sent) writerEnd.ws.send(data)
    writerEnd.ws.close(1000)
    await statsReach(context.engine, (stats) => stats.heldFrames === sent.length)
    await roundTrip(readerEnd.ws)
    expect(readerEnd.frames).to.have.length(0)

    grant(readerEnd.ws, 3)
    await roundTrip(readerEnd.ws)
    expect(readerEnd.frames).to.have.length(3)
    grant(readerEnd.ws, 1)
    grant(readerEnd.ws, 2)
    await roundTrip(readerEnd.ws)
    expect(readerEnd.frames).to.have.length(6)
    expect(context.engine.stats().channels).to.equal(1)

    grant(readerEnd.ws, 4)
    expect((await readerEnd.closed).code).to.equal(1000)
    expect(readerEnd.frames.map((frame) => frame.data.toString('latin1'))).to.deep.equal(sent.map((data) => Buffer.from(data).toString('latin1')))
    expect(readerEnd.frames.map((frame) => frame.binary)).to.deep.equal(sent.map((data) => typeof data !== 'string'))
  })

  it('holds at most buffer_size frames for a reader that withholds credit, pausing the writer until it grants more', async () => {
    const bufferSize = 4
    const { writer, reader } = await createRawChannel(context.url, { buffer_size: bufferSize })
    const readerEnd = await openReader(context.url, reader)
    const writerEnd = await openRaw(channelUrl(context.url, writer))
    const paused = nextEvent(context.engine, 'writer_paused')
    const total = 64
    // 64 KiB frames: the engine pauses the writer's socket within a few of them, as TCP brings them in.
    for (let index = 0; index < total; index++) writerEnd.ws.send(randomBytes(64 * 1024))
    const event = await paused
    expect(event.held_frames).to.be.at.least(bufferSize)
    await roundTrip(readerEnd.ws)
    expect(readerEnd.frames).to.have.length(0)
    // Past buffer_size by at most what one read of the writer's socket held (64 KiB: two partial frames).
    expect(context.engine.stats().heldFrames).to.be.within(bufferSize, bufferSize + 2)

    const resumed = nextEvent(context.engine, 'writer_resumed')
    grant(readerEnd.ws, bufferSize)
    await resumed
    grant(readerEnd.ws, total - bufferSize)
    await framesReach(readerEnd, total)
    writerEnd.ws.close(1000)
    expect((await readerEnd.closed).code).to.equal(1000)
    expect(readerEnd.frames).to.have.length(total)
  })

  const violations: ReadonlyArray<readonly [what: string, send: (ws: WebSocket) => void, reason: RegExp]> = [
    ['malformed JSON', (ws) => ws.send('{"type":"credit",'), /^credit protocol violation: invalid JSON/],
    ['zero frames', (ws) => grant(ws, 0), CREDIT_SHAPE],
    ['negative frames', (ws) => grant(ws, -5), CREDIT_SHAPE],
    ['a fraction', (ws) => grant(ws, 1.5), CREDIT_SHAPE],
    ['a string', (ws) => grant(ws, '3'), CREDIT_SHAPE],
    ['no frames', (ws) => ws.send(JSON.stringify({ type: 'credit' })), CREDIT_SHAPE],
    ['another message type', (ws) => ws.send(JSON.stringify({ type: 'pause' })), CREDIT_SHAPE],
    ['a JSON array', (ws) => ws.send('[1]'), CREDIT_SHAPE],
    ['a binary frame', (ws) => ws.send(Buffer.from('{"type":"credit","frames":1}')), /only credit messages, not binary frames/],
    [
      'credit past the outstanding bound',
      (ws) => {
        grant(ws, MAX_OUTSTANDING_CREDIT)
        grant(ws, 1)
      },
      /credit over 1048576 frames outstanding/,
    ],
  ]
  for (const [what, send, reason] of violations) {
    it(`closes a reader that sends ${what} with 1008 and the reason, and tells the writer`, async () => {
      const { writer, reader } = await createRawChannel(context.url)
      const readerEnd = await openReader(context.url, reader)
      const writerEnd = await openRaw(channelUrl(context.url, writer))
      send(readerEnd.ws)
      const closed = await readerEnd.closed
      expect(closed.code).to.equal(1008)
      expect(closed.reason).to.match(reason)
      const writerClosed = await writerEnd.closed
      expect(writerClosed.code).to.equal(4410)
      expect(writerClosed.reason).to.contain('credit protocol violation')
      await statsReach(context.engine, (stats) => stats.channels === 0)
    })
  }

  it('leaves a reader that did not offer it as before: frames flow without credit, its frames are ignored', async () => {
    const { writer, reader } = await createRawChannel(context.url)
    const readerEnd = await openRaw(channelUrl(context.url, reader))
    expect(readerEnd.ws.protocol).to.equal('')
    const writerEnd = await openRaw(channelUrl(context.url, writer))
    readerEnd.ws.send('not a credit message')
    for (let index = 0; index < 10; index++) writerEnd.ws.send(randomBytes(100))
    writerEnd.ws.close(1000)
    expect((await readerEnd.closed).code).to.equal(1000)
    expect(readerEnd.frames).to.have.length(10)
  })

  it('still delivers a cleanly ended stream whose frames wait for credit when the worker that created the channel disconnects', async () => {
    const creator = await rawWorker(context.url)
    sendJson(creator.ws, { type: 'invokefunction', invocation_id: 'create', function_id: 'engine::channels::create', data: {} })
    const { writer, reader } = (await creator.next('invocationresult')).result as ChannelPair
    const readerEnd = await openReader(context.url, reader)
    const writerEnd = await openRaw(channelUrl(context.url, writer))
    for (const data of ['a', 'b', 'c']) writerEnd.ws.send(Buffer.from(data))
    writerEnd.ws.close(1000)
    expect((await writerEnd.closed).code).to.equal(1000)
    const gone = nextEvent(context.engine, 'worker_disconnected')
    creator.ws.close(1000)
    await gone
    grant(readerEnd.ws, 3)
    expect((await readerEnd.closed).code).to.equal(1000)
    expect(readerEnd.frames.map((frame) => frame.data.toString())).to.deep.equal(['a', 'b', 'c'])
  })

  it('closes a credit-mode reader with the abort at once when its writer aborts, frames still waiting for credit dropped', async () => {
    const { writer, reader } = await createRawChannel(context.url)
    const readerEnd = await openReader(context.url, reader)
    const writerEnd = await openRaw(channelUrl(context.url, writer))
    writerEnd.ws.send(randomBytes(100))
    writerEnd.ws.close(4000, 'disk full')
    const closed = await readerEnd.closed
    expect(closed.code).to.equal(1011)
    expect(closed.reason).to.contain('disk full')
    expect(readerEnd.frames).to.have.length(0)
    await statsReach(context.engine, (stats) => stats.channels === 0 && stats.heldBytes === 0)
  })
})
