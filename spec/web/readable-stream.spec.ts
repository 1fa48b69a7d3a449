import { expect } from 'chai'
import { createHash, randomBytes } from 'crypto'
import { BehaviorSubject, lastValueFrom, Observable, Subject, throwError, type Subscription } from 'rxjs'
import { CountQueuingStrategy, ReadableStream } from 'stream/web'
import { Flow, fromReadableStream, toReadableStream } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

/** Lets pending callbacks and promise continuations run, to show that something did not happen. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A flow of `total` numbers 0, 1, 2, … produced only on demand; it counts what was demanded. */
function countingFlow(total: number): { flow: Flow<number>; demanded: () => number } {
  let demanded = 0
  const flow = new Flow<number>(
    (demand$) =>
      new Observable<number>((subscriber) => {
        let produced = 0
        return demand$.subscribe((count) => {
          demanded += count
          for (let index = 0; index < count && produced < total; index++) subscriber.next(produced++)
          if (produced === total) subscriber.complete()
        })
      }),
  )
  return { flow, demanded: () => demanded }
}

/** A ReadableStream of 0, 1, 2, … that enqueues only when pulled (highWaterMark 0) and records pulls and cancel. */
function countingStream(): { stream: ReadableStream<number>; pulls: () => number; cancelled: Promise<unknown> } {
  let pulls = 0
  let cancel!: (reason: unknown) => void
  const cancelled = new Promise<unknown>((resolve) => (cancel = resolve))
  const stream = new ReadableStream<number>(
    {
      pull(controller) {
        controller.enqueue(pulls++)
      },
      cancel,
    },
    new CountQueuingStrategy({ highWaterMark: 0 }),
  )
  return { stream, pulls: () => pulls, cancelled }
}

const MiB = 1024 * 1024

describe('toReadableStream', () => {
  it('reads ahead of its reader by at most one prefetch batch', async () => {
    const { flow, demanded } = countingFlow(100)
    const reader = toReadableStream(flow, { prefetch: 2 }).getReader()
    await settle()
    // A ReadableStream pulls as soon as it starts, to fill its queue.
    expect(demanded()).to.equal(2)
    for (let reads = 1; reads <= 10; reads++) {
      expect(await reader.read()).to.deep.equal({ done: false, value: reads - 1 })
      await settle()
      expect(demanded() - reads).to.be.within(0, 2)
    }
  })

  it('closes when the flow completes, after every value', async () => {
    const values: number[] = []
    for await (const value of toReadableStream(countingFlow(5).flow)) values.push(value)
    expect(values).to.deep.equal([0, 1, 2, 3, 4])
  })

  it('errors the stream with the flow error', async () => {
    const failure = new Error('flow failed')
    const reader = toReadableStream(new Flow<number>(() => throwError(() => failure))).getReader()
    expect(await reader.read().then(() => 'read', (error: unknown) => error)).to.equal(failure)
  })

  it('unsubscribes from the flow on cancel()', async () => {
    let tornDown = false
    const flow = new Flow<number>(() => new Observable<number>(() => () => (tornDown = true)))
    const stream = toReadableStream(flow)
    await settle()
    expect(tornDown).to.equal(false)
    await stream.cancel()
    expect(tornDown).to.equal(true)
  })
})

describe('fromReadableStream', () => {
  it('reads the stream only as far as demanded', async () => {
    const { stream, pulls } = countingStream()
    const demand = new Subject<number>()
    const received: number[] = []
    const twoArrived = new Promise<void>((resolve) =>
      fromReadableStream(stream)
        .pull(demand)
        .subscribe((value) => {
          received.push(value)
          if (received.length === 2) resolve()
        }),
    )
    await settle()
    expect(pulls()).to.equal(0)
    demand.next(2)
    await twoArrived
    await settle()
    expect(received).to.deep.equal([0, 1])
    expect(pulls()).to.equal(2)
  })

  it('cancels the stream when unsubscribed', async () => {
    const { stream, cancelled } = countingStream()
    let subscription: Subscription | undefined
    await new Promise<void>((resolve) => (subscription = fromReadableStream(stream).pull(new BehaviorSubject(1)).subscribe(() => resolve())))
    subscription?.unsubscribe()
    expect(await cancelled).to.equal(undefined)
  })
})

describe('web streams on a channel', () => {
  const context = useEngine()
  const worker = useWorkers()

  it('carries a ReadableStream of random bytes through a channel and out of toReadableStream intact', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const sent = createHash('sha256')
    let produced = 0
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced === 4 * MiB) return controller.close()
        const chunk = randomBytes(256 * 1024)
        sent.update(chunk)
        produced += chunk.length
        controller.enqueue(chunk)
      },
    })
    const delivered = lastValueFrom(fromReadableStream(source).to(writer.chunks))
    const received = createHash('sha256')
    let bytes = 0
    for await (const chunk of toReadableStream(reader.flow)) {
      received.update(chunk)
      bytes += chunk.length
    }
    await delivered
    expect(bytes).to.equal(4 * MiB)
    expect(received.digest('hex')).to.equal(sent.digest('hex'))
  })
})
