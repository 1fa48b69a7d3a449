import { expect } from 'chai'
import { createHash, randomBytes } from 'crypto'
import { filter, firstValueFrom, lastValueFrom, map, Subject, type Observable } from 'rxjs'
import { ChannelError, FRAME_SIZE, fromAsyncIterable, type EngineEvent } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

/** Lets pending callbacks and promise continuations run, to show that something did not happen. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Lets the event loop turn, as a producer doing real I/O would. An in-memory producer runs on
 * promise continuations alone; if the channel closed under it, writes to the closing socket
 * complete on process.nextTick and it would spin without the event loop, or the test's
 * timeout, ever running again.
 */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** One full frame whose first four bytes carry its index. */
function numbered(index: number): Buffer {
  const chunk = Buffer.alloc(FRAME_SIZE)
  chunk.writeUInt32BE(index, 0)
  return chunk
}

/** Every byte inverted: the transform applied between the two hops. */
const invert = (chunk: Buffer): Buffer => Buffer.from(chunk.map((byte) => 255 - byte))

/** The next engine event of `type` for one channel. */
function engineEvent(events$: Observable<EngineEvent>, type: EngineEvent['type'], channelId: string): Promise<EngineEvent> {
  return firstValueFrom(events$.pipe(filter((event) => event.type === type && 'channel_id' in event && event.channel_id === channelId)))
}

describe('ChannelReader.flow and async iteration', () => {
  const context = useEngine()
  const worker = useWorkers()

  it('delivers exactly the demanded number of chunks while the engine holds the rest, then everything in order', async function () {
    this.timeout(10_000)
    const { writer, reader, writerRef } = await (await worker(context.url)).createChannel(4)
    const demand = new Subject<number>()
    const received: number[] = []
    const arrivals = new Subject<number>()
    const ended = new Promise<void>((resolve, reject) =>
      reader.flow.pull(demand).subscribe({
        next: (chunk) => {
          received.push(chunk.readUInt32BE(0))
          arrivals.next(received.length)
        },
        complete: resolve,
        error: reject,
      }),
    )
    demand.next(3)
    // The writer keeps writing, as fast as its own backpressure allows, until told to stop.
    let stop = false
    let sent = 0
    async function* chunks() {
      while (!stop) {
        await turn()
        yield numbered(sent++)
      }
    }
    const written = lastValueFrom(fromAsyncIterable(chunks()).to(writer.chunks))

    await firstValueFrom(arrivals.pipe(filter((count) => count === 3)))
    await engineEvent(context.engine.events$, 'writer_paused', writerRef.channel_id)
    stop = true
    await settle()
    expect(received).to.deep.equal([0, 1, 2])
    // Far more was sent than arrived: the reader's read-ahead and the engine's buffer are full.
    expect(sent).to.be.above(3 + 16 + 4)

    demand.next(sent - 3)
    await ended
    await written
    expect(received).to.deep.equal(Array.from({ length: sent }, (_, index) => index))
  })

  it('reads a channel to its end with for await', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    for (const text of ['one ', 'two ', 'three']) writer.write(Buffer.from(text))
    writer.close()
    const parts: Buffer[] = []
    for await (const chunk of reader) parts.push(chunk)
    expect(Buffer.concat(parts).toString()).to.equal('one two three')
  })

  it('releases the channel when a for await loop breaks early: the writer fails with reader_gone', async () => {
    const { writer, reader, writerRef } = await (await worker(context.url)).createChannel()
    const finished = engineEvent(context.engine.events$, 'channel_finished', writerRef.channel_id)
    const writerOutcome = lastValueFrom(writer.closed$, { defaultValue: undefined }).then(
      () => 'closed cleanly',
      (error: unknown) => error,
    )
    writer.write(Buffer.from('first'))
    writer.write(Buffer.from('second'))
    let firstChunk: Buffer | undefined
    for await (const chunk of reader) {
      firstChunk = chunk
      break
    }
    expect(firstChunk?.toString()).to.match(/^first/)
    await finished
    const outcome = await writerOutcome
    expect(outcome).to.be.instanceOf(ChannelError)
    expect(outcome).to.include({ code: 'reader_gone' })
    expect(context.engine.stats().channels).to.equal(0)
  })

  it('carries backpressure across two hops: a held-back reader on B pauses the writer of A', async function () {
    this.timeout(10_000)
    const client = await worker(context.url)
    const a = await client.createChannel(4)
    const b = await client.createChannel(4)
    const expected = createHash('sha256')
    let stop = false
    let sent = 0
    async function* source() {
      while (!stop) {
        await turn()
        const chunk = randomBytes(FRAME_SIZE)
        expected.update(invert(chunk))
        sent++
        yield chunk
      }
    }
    const intoA = lastValueFrom(fromAsyncIterable(source()).to(a.writer.chunks))
    const aToB = lastValueFrom(a.reader.flow.pipe(map(invert)).to(b.writer.chunks))

    const demand = new Subject<number>()
    const received = createHash('sha256')
    let count = 0
    const arrivals = new Subject<number>()
    const ended = new Promise<void>((resolve, reject) =>
      b.reader.flow.pull(demand).subscribe({
        next: (chunk) => {
          received.update(chunk)
          count++
          arrivals.next(count)
          // Once released, B is read slowly: one more chunk requested per chunk handled.
          if (count > 1) demand.next(1)
        },
        complete: resolve,
        error: reject,
      }),
    )
    // The first chunk through both hops shows every socket is connected; then B holds back.
    const firstArrived = firstValueFrom(arrivals)
    demand.next(1)
    await firstArrived
    await engineEvent(context.engine.events$, 'writer_paused', a.writerRef.channel_id)
    stop = true
    await settle()
    expect(count).to.equal(1)

    demand.next(1)
    await ended
    await Promise.all([intoA, aToB])
    expect(count).to.equal(sent)
    expect(received.digest('hex')).to.equal(expected.digest('hex'))
  })
})
