import { expect } from 'chai'
import { once } from 'events'
import { lastValueFrom, reduce, Subject } from 'rxjs'
import WebSocket from 'ws'
import { channelUrl } from '../../lib/protocol/channel-url'
import { CREDIT_SUBPROTOCOL } from '../../lib/protocol/credit'
import { createRawChannel, nextEvent, openRaw, statsReach, useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

// Long enough that a spec process sharing 2 cores with parallel specs does not stall past two windows by load alone.
const heartbeatMs = 400

describe('channel socket heartbeat (issue 10 items 1 and 7d)', () => {
  const context = useEngine({ heartbeatMs })
  const worker = useWorkers()

  it('drops a half-open reader (answers no ping, takes no byte), releasing its frames and closing its writer with 4410 and the reason', async () => {
    const { writer, reader } = await createRawChannel(context.url)
    const readerEnd = await openRaw(channelUrl(context.url, reader))
    // Stops reading its socket for good: no pong, no byte taken.
    readerEnd.ws.pause()
    const writerEnd = await openRaw(channelUrl(context.url, writer))
    for (let index = 0; index < 8; index++) writerEnd.ws.send(Buffer.alloc(64 * 1024, index))
    const closed = await writerEnd.closed
    expect(closed.code).to.equal(4410)
    expect(closed.reason).to.match(new RegExp(`^reader dropped: no pong, no byte sent or taken in ${heartbeatMs} ms`))
    await statsReach(context.engine, (stats) => stats.channels === 0)
    expect(context.engine.stats()).to.include({ heldFrames: 0, heldBytes: 0 })
  })

  it('drops a writer that stops answering while the engine is not holding it back', async () => {
    const { writer, reader } = await createRawChannel(context.url)
    const readerEnd = await openRaw(channelUrl(context.url, reader))
    const writerEnd = await openRaw(channelUrl(context.url, writer))
    writerEnd.ws.send(Buffer.from('first'))
    writerEnd.ws.pause()
    const closed = await readerEnd.closed
    expect(closed.code).to.equal(1011)
    expect(closed.reason).to.match(/^writer dropped: no pong/)
    expect(readerEnd.frames.map((frame) => frame.data.toString())).to.deep.equal(['first'])
  })

  it('keeps an SDK reader that has paused its own socket alive by its pings, however many heartbeats pass, and it then reads everything', async () => {
    const client = await worker(context.url, { channelKeepAlive: { pingIntervalMs: heartbeatMs / 3 } })
    const { writer, reader, writerRef } = await client.createChannel()
    const demand = new Subject<number>()
    const received = lastValueFrom(reader.flow.pull(demand).pipe(reduce((bytes, chunk) => bytes + chunk.length, 0)))
    const paused = nextEvent(context.engine, 'writer_paused', (event) => event.channel_id === writerRef.channel_id)
    const total = 200
    for (let index = 0; index < total; index++) writer.write(Buffer.alloc(64 * 1024, index))
    writer.close()
    await paused
    // Surviving this many windows without reading is the behaviour under test.
    await new Promise((resolve) => setTimeout(resolve, 6 * heartbeatMs))
    expect(context.engine.stats().channels).to.equal(1)
    demand.next(Number.MAX_SAFE_INTEGER)
    expect(await received).to.equal(total * 64 * 1024)
    await lastValueFrom(writer.closed$, { defaultValue: undefined })
  })

  it('keeps a credit-mode reader that withholds credit alive by its pongs alone, as a browser (which cannot ping) answers them', async () => {
    const { writer, reader } = await createRawChannel(context.url, { buffer_size: 4 })
    const readerWs = new WebSocket(channelUrl(context.url, reader), [CREDIT_SUBPROTOCOL])
    await once(readerWs, 'open')
    let received = 0
    readerWs.on('message', () => received++)
    const writerEnd = await openRaw(channelUrl(context.url, writer))
    const paused = nextEvent(context.engine, 'writer_paused')
    for (let index = 0; index < 16; index++) writerEnd.ws.send(Buffer.alloc(64 * 1024, index))
    await paused
    // Six beats pass: each brings a ping, which ws answers with a pong, as a browser does; nothing else moves.
    for (let beats = 0; beats < 6; beats++) await once(readerWs, 'ping')
    expect(context.engine.stats().channels).to.equal(1)
    expect(received).to.equal(0)
    readerWs.send(JSON.stringify({ type: 'credit', frames: 16 }))
    writerEnd.ws.close(1000)
    const [code] = (await once(readerWs, 'close')) as [number]
    expect(code).to.equal(1000)
    expect(received).to.equal(16)
  })
})
