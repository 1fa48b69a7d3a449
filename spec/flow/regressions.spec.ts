import { expect } from 'chai'
import { AsyncSubject, EMPTY, Observable, firstValueFrom, lastValueFrom, of, Subject, toArray } from 'rxjs'
import { Readable } from 'stream'
import { ReadableStream } from 'stream/web'
import { Flow, fromAsyncIterable, fromReadable, fromReadableStream, rechunk, toWritable, type FlowSink } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

// Each spec here is named after a bug that was fixed, so it stays fixed.
describe('flow regressions', () => {
  const context = useEngine()
  const worker = useWorkers()

  it('a consumer that requests more from inside next still gets chunks in order (re-entrant flush)', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    // Fewer chunks than the reader's read-ahead, then a marker: once the marker is in, every
    // chunk is queued at the reader, so one request from inside next meets a full queue.
    const total = 10
    for (let index = 0; index < total; index++) writer.write(Buffer.from(String(index)))
    writer.sendMessage('all sent')
    writer.close()
    await firstValueFrom(reader.messages$)
    const demand = new Subject<number>()
    const received: number[] = []
    await new Promise<void>((resolve, reject) => {
      reader.flow.pull(demand).subscribe({
        next: (chunk) => {
          demand.next(1)
          received.push(Number(chunk.toString()))
        },
        error: reject,
        complete: resolve,
      })
      demand.next(1)
    })
    expect(received).to.deep.equal(Array.from({ length: total }, (_, index) => index))
  })

  it('driving a flow through an operator that merges values does not stall (demand counts source values)', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    async function* lines() {
      for (let index = 0; index < 20_000; index++) yield Buffer.from(`line ${index}\n`)
    }
    const expected = Buffer.concat(await lastValueFrom(of(...Array.from({ length: 20_000 }, (_, index) => Buffer.from(`line ${index}\n`))).pipe(toArray())))
    const received = reader.readAll()
    await lastValueFrom(fromAsyncIterable(lines()).pipe(rechunk(64 * 1024)).to(writer.chunks))
    expect((await received).equals(expected)).to.equal(true)
  })

  it('fromReadable destroys the stream when unsubscribed while a read is pending', async () => {
    const readable = new Readable({ read: () => undefined })
    const demand = new Subject<number>()
    const subscription = fromReadable(readable).pull(demand).subscribe()
    demand.next(1)
    await new Promise((resolve) => setImmediate(resolve))
    const closed = new Promise((resolve) => readable.once('close', resolve))
    subscription.unsubscribe()
    await closed
    expect(readable.destroyed).to.equal(true)
  })

  it('fromReadableStream cancels the stream when unsubscribed while a read is pending', async () => {
    let cancelled!: () => void
    const cancel = new Promise<void>((resolve) => (cancelled = resolve))
    const stream = new ReadableStream({ pull: () => new Promise(() => undefined), cancel: () => cancelled() })
    const demand = new Subject<number>()
    const subscription = fromReadableStream(stream).pull(demand).subscribe()
    demand.next(1)
    await new Promise((resolve) => setImmediate(resolve))
    subscription.unsubscribe()
    await cancel
  })

  it('to(sink) offers nothing to a sink that has already failed', async () => {
    const closed = new AsyncSubject<void>()
    closed.error(new Error('gone'))
    const offered: number[] = []
    const sink: FlowSink<number> = {
      next: (value) => offered.push(value),
      error: () => undefined,
      complete: () => undefined,
      saturated: false,
      drain$: EMPTY,
      closed$: closed,
    }
    const synchronous = new Flow<number>((demand$) => new Observable<number>((subscriber) => demand$.subscribe((count) => { for (let index = 0; index < count; index++) subscriber.next(index) })))
    const outcome = await lastValueFrom(synchronous.to(sink)).catch((error: Error) => error.message)
    expect(outcome).to.equal('gone')
    expect(offered).to.deep.equal([])
  })

  it('toWritable releases a waiting write when the sink closes without a value', async () => {
    const closed = new Subject<void>()
    const sink: FlowSink<Uint8Array> = {
      next: () => undefined,
      error: () => undefined,
      complete: () => undefined,
      saturated: true,
      drain$: EMPTY,
      closed$: closed,
    }
    const writable = toWritable(sink)
    const written = new Promise<void>((resolve) => writable.write(Buffer.from('x'), () => resolve()))
    closed.complete()
    await written
  })
})
