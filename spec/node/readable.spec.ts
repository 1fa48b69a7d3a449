import { expect } from 'chai'
import { createHash, randomBytes } from 'crypto'
import { once } from 'events'
import { createReadStream } from 'fs'
import { mkdtemp, rm, writeFile } from 'fs/promises'
import { tmpdir } from 'os'
import { join } from 'path'
import { BehaviorSubject, lastValueFrom, Observable, Subject, throwError, toArray, type Subscription } from 'rxjs'
import { Readable } from 'stream'
import { Flow, fromReadable, toReadable } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

/** Lets pending callbacks and promise continuations run, to show that something did not happen. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A flow of `total` one-byte chunks 0, 1, 2, … produced only on demand; it counts what was demanded. */
function countingFlow(total: number): { flow: Flow<Uint8Array>; demanded: () => number } {
  let demanded = 0
  const flow = new Flow<Uint8Array>(
    (demand$) =>
      new Observable<Uint8Array>((subscriber) => {
        let produced = 0
        return demand$.subscribe((count) => {
          demanded += count
          for (let index = 0; index < count && produced < total; index++) subscriber.next(Uint8Array.of(produced++))
          if (produced === total) subscriber.complete()
        })
      }),
  )
  return { flow, demanded: () => demanded }
}

/** A Readable of `total` 1 KiB chunks that counts its _read calls. */
function countingReadable(total: number): { readable: Readable; reads: () => number } {
  let reads = 0
  const readable = new Readable({
    highWaterMark: 1024,
    read() {
      reads++
      this.push(reads <= total ? Buffer.alloc(1024, reads) : null)
    },
  })
  return { readable, reads: () => reads }
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')

describe('toReadable', () => {
  it('reads the flow only as the stream is consumed: while paused, up to highWaterMark plus one prefetch batch', async () => {
    const { flow, demanded } = countingFlow(100)
    const readable = toReadable(flow, { highWaterMark: 4, prefetch: 2 })
    await settle()
    expect(demanded()).to.equal(0)
    readable.read(0)
    await settle()
    expect(demanded()).to.be.within(4, 4 + 2)
    expect(readable.readableLength).to.equal(demanded())
    const everything: Buffer[] = []
    readable.on('data', (chunk: Buffer) => everything.push(chunk))
    await once(readable, 'end')
    expect(demanded()).to.equal(100)
    expect([...Buffer.concat(everything)]).to.deep.equal(Array.from({ length: 100 }, (_, index) => index))
  })

  it('can be read with for await', async () => {
    const { flow } = countingFlow(10)
    const bytes: number[] = []
    for await (const chunk of toReadable(flow)) bytes.push(...(chunk as Buffer))
    expect(bytes).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('destroys the stream with the flow error', async () => {
    const failure = new Error('flow failed')
    const readable = toReadable(new Flow<Uint8Array>(() => throwError(() => failure)))
    const read = (async () => {
      for await (const chunk of readable) void chunk
    })()
    expect(await read.then(() => 'ended', (error: unknown) => error)).to.equal(failure)
    expect(readable.destroyed).to.equal(true)
  })

  it('unsubscribes from the flow when the stream is destroyed', async () => {
    let tornDown = false
    const flow = new Flow<Uint8Array>(() => new Observable<Uint8Array>(() => () => (tornDown = true)))
    const readable = toReadable(flow)
    readable.read(0)
    expect(tornDown).to.equal(false)
    readable.destroy()
    await once(readable, 'close')
    expect(tornDown).to.equal(true)
  })
})

describe('fromReadable', () => {
  it('delivers the chunks in order and completes at the end', async () => {
    const parts = ['alpha', 'beta', 'gamma'].map((text) => Buffer.from(text))
    const chunks = await lastValueFrom(fromReadable(Readable.from(parts)).pull(new BehaviorSubject(Infinity)).pipe(toArray()))
    expect(chunks.map(String)).to.deep.equal(['alpha', 'beta', 'gamma'])
  })

  it('does not drain the Readable beyond what was demanded', async () => {
    const { readable, reads } = countingReadable(100)
    const demand = new Subject<number>()
    const received: Buffer[] = []
    const twoArrived = new Promise<void>((resolve) =>
      fromReadable(readable)
        .pull(demand)
        .subscribe((chunk) => {
          received.push(chunk)
          if (received.length === 2) resolve()
        }),
    )
    await settle()
    expect(reads()).to.equal(0)
    demand.next(2)
    await twoArrived
    await settle()
    // Two values were demanded; the Readable itself reads at most its highWaterMark (one chunk) ahead.
    expect(received).to.have.length(2)
    expect(reads()).to.be.at.least(2).and.at.most(3)
  })

  it('destroys the Readable when unsubscribed', async () => {
    const { readable } = countingReadable(100)
    let subscription: Subscription | undefined
    await new Promise<void>((resolve) => (subscription = fromReadable(readable).pull(new BehaviorSubject(1)).subscribe(() => resolve())))
    expect(readable.destroyed).to.equal(false)
    // Node's iterator destroys the stream with an AbortError; only the close matters here.
    const closed = new Promise((resolve) => readable.once('close', resolve))
    subscription?.unsubscribe()
    await closed
    expect(readable.destroyed).to.equal(true)
  })
})

describe('Node streams on a channel', () => {
  const context = useEngine()
  const worker = useWorkers()
  let directory: string

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rx-channels-readable-'))
  })

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true })
  })

  it('sends a file through a channel intact: fromReadable(createReadStream(file)).to(writer.chunks)', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const content = randomBytes(3 * 1024 * 1024 + 17)
    const file = join(directory, 'source.bin')
    await writeFile(file, content)
    const received = reader.readAll()
    await lastValueFrom(fromReadable(createReadStream(file)).to(writer.chunks))
    const bytes = await received
    expect(bytes.length).to.equal(content.length)
    expect(sha256(bytes)).to.equal(sha256(content))
  })
})
