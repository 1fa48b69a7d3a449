import { expect } from 'chai'
import { createHash, randomBytes } from 'crypto'
import { once } from 'events'
import { createWriteStream } from 'fs'
import { mkdtemp, readFile, rm } from 'fs/promises'
import { tmpdir } from 'os'
import { join } from 'path'
import { lastValueFrom } from 'rxjs'
import { Writable } from 'stream'
import { fromWritable, StreamError, toWritable } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'
import { FakeSink, settle } from '../support/fakes'


/** A Writable whose writes complete only when the test says so. */
function manualWritable(highWaterMark: number): { writable: Writable; written: Buffer[]; completeWrite: () => void } {
  const written: Buffer[] = []
  const callbacks: Array<() => void> = []
  const writable = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk)
      callbacks.push(() => callback())
    },
  })
  return { writable, written, completeWrite: () => (callbacks.shift() as () => void)() }
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')
const KiB = 1024

describe('toWritable', () => {
  it('returns false from write() while the sink is saturated, and emits drain once it drains', async () => {
    const sink = new FakeSink<Uint8Array>()
    const writable = toWritable(sink)
    expect(writable.write(Buffer.alloc(KiB, 0))).to.equal(true)
    sink.saturated = true
    let writes = 1
    // Bounded, so a stream that never pushes back fails the expectation below instead of looping.
    while (writes < 64 && writable.write(Buffer.alloc(KiB, writes))) writes++
    // The Writable buffers up to its 16 KiB highWaterMark; the sink got only the write it is stuck on.
    expect(writes).to.equal(16)
    expect(sink.received).to.have.length(2)
    const drained = once(writable, 'drain')
    sink.saturated = false
    sink.drain.next()
    await drained
    expect(sink.received.map((chunk) => chunk[0])).to.deep.equal(Array.from({ length: 17 }, (_, index) => index))
  })

  it('finishes only after the sink closed$ completes', async () => {
    const sink = new FakeSink<Uint8Array>()
    const writable = toWritable(sink)
    let finished = false
    writable.on('finish', () => (finished = true))
    writable.end(Buffer.from('last'))
    await settle()
    expect(sink.completed).to.equal(true)
    expect(finished).to.equal(false)
    sink.closed.complete()
    await once(writable, 'finish')
    expect(sink.received.map((chunk) => Buffer.from(chunk).toString())).to.deep.equal(['last'])
  })

  it('is destroyed with the error of a failing sink', async () => {
    const sink = new FakeSink<Uint8Array>()
    const writable = toWritable(sink)
    const failure = new Error('reader gone')
    const errored = once(writable, 'error')
    sink.closed.error(failure)
    expect(await errored).to.deep.equal([failure])
    expect(writable.destroyed).to.equal(true)
  })

  it('aborts the sink when the stream is destroyed before it ended', async () => {
    const sink = new FakeSink<Uint8Array>()
    const writable = toWritable(sink)
    writable.write(Buffer.from('partial'))
    const failure = new Error('producer crashed')
    const errored = once(writable, 'error')
    writable.destroy(failure)
    expect(await errored).to.deep.equal([failure])
    expect(sink.errors).to.deep.equal([failure])
    expect(sink.completed).to.equal(false)
  })

  it('aborts the sink with a stream_aborted StreamError when destroyed without an error before it ended', async () => {
    const sink = new FakeSink<Uint8Array>()
    const writable = toWritable(sink)
    writable.write(Buffer.from('partial'))
    const closed = once(writable, 'close')
    writable.destroy()
    await closed
    expect(sink.errors).to.have.length(1)
    expect(sink.errors[0]).to.be.instanceOf(StreamError).and.include({ code: 'stream_aborted' })
  })
})

describe('fromWritable', () => {
  it('is saturated exactly while the Writable needs a drain, and drain$ follows its drain event', async () => {
    const { writable, written, completeWrite } = manualWritable(4)
    const sink = fromWritable(writable)
    let drains = 0
    sink.drain$.subscribe(() => drains++)
    sink.next(Buffer.from('abc'))
    expect(sink.saturated).to.equal(writable.writableNeedDrain).and.to.equal(false)
    sink.next(Buffer.from('def'))
    expect(sink.saturated).to.equal(writable.writableNeedDrain).and.to.equal(true)
    const drained = once(writable, 'drain')
    completeWrite()
    await settle()
    completeWrite()
    await drained
    expect(drains).to.equal(1)
    expect(sink.saturated).to.equal(false)
    expect(written.map(String)).to.deep.equal(['abc', 'def'])
  })

  it('ends the Writable on complete(), and closed$ completes on its finish', async () => {
    const written: string[] = []
    const writable = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(String(chunk))
        callback()
      },
    })
    const sink = fromWritable(writable)
    const closed = lastValueFrom(sink.closed$, { defaultValue: undefined })
    sink.next(Buffer.from('body'))
    sink.complete()
    expect(writable.writableEnded).to.equal(true)
    await closed
    expect(writable.writableFinished).to.equal(true)
    expect(written).to.deep.equal(['body'])
  })

  it('errors closed$ with the error of the Writable', async () => {
    const { writable } = manualWritable(16)
    const sink = fromWritable(writable)
    const failure = new Error('disk full')
    const closed = lastValueFrom(sink.closed$, { defaultValue: undefined }).catch((error: unknown) => error)
    writable.destroy(failure)
    expect(await closed).to.equal(failure)
  })

  it('destroys the Writable on error(), and closed$ errors with it', async () => {
    const { writable } = manualWritable(16)
    const sink = fromWritable(writable)
    const failure = new Error('upstream failed')
    const closed = lastValueFrom(sink.closed$, { defaultValue: undefined }).catch((error: unknown) => error)
    sink.error(failure)
    expect(writable.destroyed).to.equal(true)
    expect(await closed).to.equal(failure)
  })

  it('errors closed$ with a stream_closed StreamError when the Writable is destroyed without an error before it finished', async () => {
    const { writable } = manualWritable(16)
    const sink = fromWritable(writable)
    const closed = lastValueFrom(sink.closed$, { defaultValue: undefined }).then(() => 'completed', (error: unknown) => error)
    sink.next(Buffer.from('not all written'))
    const streamClosed = once(writable, 'close')
    writable.destroy()
    await streamClosed
    // Bounded: before the fix closed$ never settled; a settled race shows that without a timeout.
    const outcome = await Promise.race([closed, settle().then(() => 'still pending')])
    expect(outcome).to.be.instanceOf(StreamError).and.include({ code: 'stream_closed' })
  })

  it('destroys the Writable with a coded StreamError, cause kept, when error() gets something that is not an Error', async () => {
    const { writable } = manualWritable(16)
    const sink = fromWritable(writable)
    const closed = lastValueFrom(sink.closed$, { defaultValue: undefined }).catch((error: unknown) => error)
    sink.error('gave up')
    const failure = await closed
    expect(failure).to.be.instanceOf(StreamError).and.include({ code: 'stream_aborted', cause: 'gave up' })
  })
})

describe('Node streams on a channel', () => {
  const context = useEngine()
  const worker = useWorkers()
  let directory: string

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'rx-channels-writable-'))
  })

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true })
  })

  it('writes a channel to a file intact: reader.flow.to(fromWritable(createWriteStream(file)))', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const content = randomBytes(3 * 1024 * KiB + 17)
    const file = join(directory, 'received.bin')
    const saved = lastValueFrom(reader.flow.to(fromWritable(createWriteStream(file))))
    writer.write(content)
    writer.close()
    await saved
    const bytes = await readFile(file)
    expect(bytes.length).to.equal(content.length)
    expect(sha256(bytes)).to.equal(sha256(content))
  })
})
