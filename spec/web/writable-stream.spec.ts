import { expect } from 'chai'
import { firstValueFrom, lastValueFrom } from 'rxjs'
import { CountQueuingStrategy, WritableStream } from 'stream/web'
import { fromWritableStream, StreamError, toWritableStream } from '../../lib'
import { FakeSink, settle } from '../support/fakes'


/** Tracks whether a promise has settled yet. */
function track(promise: Promise<unknown>): { readonly settled: boolean } {
  const state = { settled: false }
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  )
  return state
}

/**
 * A WritableStream with a CountQueuingStrategy of highWaterMark 2 over a slow sink: each
 * write stays in progress until the test finishes it.
 */
function slowStream(): { stream: WritableStream<string>; written: string[]; finishWrite: () => void; closed: Promise<void> } {
  const written: string[] = []
  const inProgress: Array<() => void> = []
  let close!: () => void
  const closed = new Promise<void>((resolve) => (close = resolve))
  const stream = new WritableStream<string>(
    {
      write(value) {
        written.push(value)
        return new Promise<void>((resolve) => inProgress.push(resolve))
      },
      close,
    },
    new CountQueuingStrategy({ highWaterMark: 2 }),
  )
  return { stream, written, finishWrite: () => (inProgress.shift() as () => void)(), closed }
}

describe('toWritableStream', () => {
  it('hands each write to the sink at once, and holds the write while the sink is saturated', async () => {
    const sink = new FakeSink<string>()
    const writer = toWritableStream(sink).getWriter()
    await writer.write('room')
    sink.saturated = true
    const pending = writer.write('full')
    const held = track(pending)
    await settle()
    expect(sink.received).to.deep.equal(['room', 'full'])
    expect(held.settled).to.equal(false)
    // The held write keeps the stream's queue full, so its writers see the backpressure.
    expect(writer.desiredSize).to.equal(0)
    sink.saturated = false
    sink.drain.next()
    await pending
    expect(writer.desiredSize).to.equal(1)
  })

  it('resolves close() only after the sink closed$ completes', async () => {
    const sink = new FakeSink<string>()
    const writer = toWritableStream(sink).getWriter()
    const closing = writer.close()
    const closed = track(closing)
    await settle()
    expect(sink.completed).to.equal(true)
    expect(closed.settled).to.equal(false)
    sink.closed.complete()
    await closing
  })

  it('aborts the sink with the reason on abort()', async () => {
    const sink = new FakeSink<string>()
    const failure = new Error('consumer gave up')
    await toWritableStream(sink).abort(failure)
    expect(sink.errors).to.deep.equal([failure])
    expect(sink.completed).to.equal(false)
  })

  it('aborts the sink with a stream_aborted StreamError on abort() without a reason', async () => {
    const sink = new FakeSink<string>()
    await toWritableStream(sink).abort()
    expect(sink.errors).to.have.length(1)
    expect(sink.errors[0]).to.be.instanceOf(StreamError).and.include({ code: 'stream_aborted' })
  })
})

describe('fromWritableStream', () => {
  it('is saturated while the desired size is not positive, and drain$ emits when the stream is ready again', async () => {
    const { stream, written, finishWrite } = slowStream()
    const sink = fromWritableStream(stream)
    const drained = firstValueFrom(sink.drain$)
    sink.next('a')
    expect(sink.saturated).to.equal(false)
    sink.next('b')
    expect(sink.saturated).to.equal(true)
    const drain = track(drained)
    await settle()
    expect(written).to.deep.equal(['a'])
    expect(drain.settled).to.equal(false)
    finishWrite()
    await drained
    expect(sink.saturated).to.equal(false)
    expect(written).to.deep.equal(['a', 'b'])
  })

  it('completes closed$ once the stream has closed after the last write', async () => {
    const { stream, written, finishWrite, closed } = slowStream()
    const sink = fromWritableStream(stream)
    const accepted = lastValueFrom(sink.closed$, { defaultValue: undefined })
    const end = track(accepted)
    sink.next('last')
    sink.complete()
    await settle()
    expect(end.settled).to.equal(false)
    finishWrite()
    await closed
    await accepted
    expect(written).to.deep.equal(['last'])
  })

  it('aborts the stream on error(), and closed$ errors', async () => {
    let abortedWith: unknown
    const stream = new WritableStream<string>({ abort: (reason) => void (abortedWith = reason) })
    const sink = fromWritableStream(stream)
    const failure = new Error('upstream failed')
    const outcome = lastValueFrom(sink.closed$, { defaultValue: undefined }).then(
      () => 'completed',
      (error: unknown) => error,
    )
    sink.next('pending')
    sink.error(failure)
    expect(await outcome).to.equal(failure)
    expect(abortedWith).to.equal(failure)
  })
})
