import { expect } from 'chai'
import { BehaviorSubject, bufferCount, filter, firstValueFrom, mergeMap, NEVER, Observable, Subject, type Subscriber, type Subscription } from 'rxjs'
import { Flow, fromAsyncIterable, fromPausable, StreamError, type PausableSource } from '../../lib'
import { marbles } from '../support/marbles'
import { FakeSink, settle } from '../support/fakes'


/**
 * A PausableSource over any Observable: values that arrive while paused are held and
 * delivered on resume, as the contract asks; pause and resume calls are recorded.
 */
class FakePausable<T> implements PausableSource<T> {
  readonly calls: Array<'pause' | 'resume'> = []
  private paused = false
  private readonly held: T[] = []
  private subscriber?: Subscriber<T>

  constructor(private readonly input: Observable<T>) {}

  readonly values$ = new Observable<T>((subscriber) => {
    this.subscriber = subscriber
    const subscription = this.input.subscribe({
      next: (value) => (this.paused ? this.held.push(value) : subscriber.next(value)),
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    })
    return () => {
      subscription.unsubscribe()
      this.subscriber = undefined
    }
  })

  pause(): void {
    this.calls.push('pause')
    this.paused = true
  }

  resume(): void {
    this.calls.push('resume')
    this.paused = false
    while (!this.paused && this.held.length > 0) this.subscriber?.next(this.held.shift() as T)
  }
}

/** A flow whose values the test pushes by hand; it records what was requested and whether it was left. */
class ManualFlow<T> {
  readonly requests: number[] = []
  readonly values = new Subject<T>()
  unsubscribed = false
  readonly flow = new Flow<T>(
    (demand$) =>
      new Observable<T>((subscriber) => {
        const demand = demand$.subscribe((count) => this.requests.push(count))
        const values = this.values.subscribe(subscriber)
        return () => {
          this.unsubscribed = true
          demand.unsubscribe()
          values.unsubscribe()
        }
      }),
  )
}

/** Subscribes and records what the observable reports. */
function observe<T>(source: Observable<T>): { values: T[]; completed: boolean; error?: unknown; subscription: Subscription } {
  const record: { values: T[]; completed: boolean; error?: unknown; subscription?: Subscription } = { values: [], completed: false }
  record.subscription = source.subscribe({
    next: (value) => record.values.push(value),
    error: (error: unknown) => (record.error = error),
    complete: () => (record.completed = true),
  })
  return record as { values: T[]; completed: boolean; error?: unknown; subscription: Subscription }
}

describe('Flow', () => {
  describe('pull', () => {
    it('emits no more values than demanded, however many the source has', () => {
      const input = new Subject<number>()
      const source = new FakePausable(input)
      const demand = new Subject<number>()
      const pulled = observe(fromPausable(source).pull(demand))
      for (const value of [1, 2, 3, 4, 5]) input.next(value)
      expect(pulled.values).to.deep.equal([])
      demand.next(2)
      expect(pulled.values).to.deep.equal([1, 2])
      input.next(6)
      expect(pulled.values).to.deep.equal([1, 2])
      demand.next(10)
      expect(pulled.values).to.deep.equal([1, 2, 3, 4, 5, 6])
    })

    it('in marbles: each unit of demand lets one value of a hot source through, the rest wait', () => {
      marbles().run(({ hot, cold, expectObservable, flush }) => {
        const source = new FakePausable(hot('-a-b-c-d-'))
        const demand = cold('--1---2--', { 1: 1, 2: 2 })
        expectObservable(fromPausable(source).pull(demand)).toBe('--a---(bc)')
        flush()
        expect(source.calls).to.deep.equal(['pause', 'resume', 'pause', 'resume', 'pause'])
      })
    })

    it('does not subscribe to the source before pull is subscribed', () => {
      let subscriptions = 0
      const flow = new Flow<number>(() => new Observable<number>(() => void subscriptions++))
      const pulled = flow.pull(NEVER)
      expect(subscriptions).to.equal(0)
      pulled.subscribe().unsubscribe()
      expect(subscriptions).to.equal(1)
    })
  })

  describe('pipe', () => {
    it('applies the operator while demand still counts source values', () => {
      const input = new Subject<number>()
      const source = new FakePausable(input)
      const demand = new Subject<number>()
      const doubled = fromPausable(source).pipe(mergeMap((value) => [value, value * 10]))
      const pulled = observe(doubled.pull(demand))
      for (const value of [1, 2, 3]) input.next(value)
      demand.next(2)
      // Two units of demand bring two source values, four values after the operator.
      expect(pulled.values).to.deep.equal([1, 10, 2, 20])
      demand.next(1)
      expect(pulled.values).to.deep.equal([1, 10, 2, 20, 3, 30])
    })
  })

  describe('drive', () => {
    it('keeps at most prefetch values requested while wanted() is true, and none once it is false', async () => {
      const source = new ManualFlow<number>()
      let wanted = true
      const received: number[] = []
      const driven = source.flow.drive({ next: (value) => received.push(value) }, { prefetch: 4, wanted: () => wanted })
      expect(source.requests).to.deep.equal([4])
      source.values.next(0)
      source.values.next(1)
      await settle()
      expect(source.requests).to.deep.equal([4, 2])
      wanted = false
      for (const value of [2, 3, 4, 5]) source.values.next(value)
      await settle()
      // Values already requested still arrive, then requests stop until the consumer wants more.
      expect(received).to.deep.equal([0, 1, 2, 3, 4, 5])
      expect(source.requests).to.deep.equal([4, 2])
      wanted = true
      driven.request()
      expect(source.requests).to.deep.equal([4, 2, 4])
      driven.subscription.unsubscribe()
      expect(source.unsubscribed).to.equal(true)
    })
  })

  describe('to(sink)', () => {
    it('requests prefetch values up front', () => {
      const source = new ManualFlow<number>()
      observe(source.flow.to(new FakeSink(), { prefetch: 8 }))
      expect(source.requests).to.deep.equal([8])
    })

    it('tops up in batches, once at most half of the prefetch is outstanding', async () => {
      const source = new ManualFlow<number>()
      const sink = new FakeSink<number>()
      observe(source.flow.to(sink, { prefetch: 8 }))
      for (const value of [0, 1, 2]) source.values.next(value)
      await settle()
      expect(source.requests).to.deep.equal([8])
      source.values.next(3)
      // The top-up waits until the value in hand has gone through (a microtask), so later values cannot overtake it.
      expect(source.requests).to.deep.equal([8])
      await settle()
      expect(source.requests).to.deep.equal([8, 4])
      expect(sink.received).to.deep.equal([0, 1, 2, 3])
    })

    it('counts credit in source values, so an operator that holds values back cannot stall it', async () => {
      const source = new ManualFlow<number>()
      const sink = new FakeSink<number[]>()
      observe(source.flow.pipe(bufferCount(10)).to(sink, { prefetch: 4 }))
      for (let value = 0; value < 4; value++) source.values.next(value)
      await settle()
      // Nothing reached the sink yet, but four source values arrived: four more are asked for.
      expect(sink.received).to.deep.equal([])
      expect(source.requests).to.deep.equal([4, 4])
    })

    it('stops requesting while the sink is saturated and requests again after drain$', async () => {
      const source = new ManualFlow<number>()
      const sink = new FakeSink<number>()
      observe(source.flow.to(sink, { prefetch: 8 }))
      sink.saturated = true
      for (let value = 0; value < 8; value++) source.values.next(value)
      await settle()
      // What was requested is still accepted, but nothing more is asked for.
      expect(sink.received).to.have.length(8)
      expect(source.requests).to.deep.equal([8])
      sink.saturated = false
      sink.drain.next()
      expect(source.requests).to.deep.equal([8, 8])
    })

    it('completes the sink when the source completes, and emits once and completes when closed$ completes', () => {
      const source = new ManualFlow<number>()
      const sink = new FakeSink<number>()
      const result = observe(source.flow.to(sink))
      source.values.next(1)
      source.values.complete()
      expect(sink.completed).to.equal(true)
      expect(result.values).to.have.length(0)
      expect(result.completed).to.equal(false)
      sink.closed.complete()
      expect(result.values).to.deep.equal([undefined])
      expect(result.completed).to.equal(true)
      expect(sink.errors).to.deep.equal([])
    })

    it('aborts the sink with a source error and errors the result with it', () => {
      const source = new ManualFlow<number>()
      const sink = new FakeSink<number>()
      const result = observe(source.flow.to(sink))
      const failure = new Error('source failed')
      source.values.error(failure)
      expect(sink.errors).to.deep.equal([failure])
      expect(sink.completed).to.equal(false)
      expect(result.error).to.equal(failure)
    })

    it('errors the result when closed$ errors, and unsubscribes the source', () => {
      const source = new ManualFlow<number>()
      const sink = new FakeSink<number>()
      const result = observe(source.flow.to(sink))
      const failure = new Error('sink failed')
      sink.closed.error(failure)
      expect(result.error).to.equal(failure)
      expect(source.unsubscribed).to.equal(true)
    })

    it('aborts the sink and unsubscribes the source when the result is unsubscribed', () => {
      const source = new ManualFlow<number>()
      const sink = new FakeSink<number>()
      const result = observe(source.flow.to(sink))
      result.subscription.unsubscribe()
      expect(source.unsubscribed).to.equal(true)
      expect(sink.errors).to.have.length(1)
      expect(sink.errors[0]).to.be.instanceOf(StreamError).and.include({ code: 'flow_unsubscribed' })
      expect(sink.completed).to.equal(false)
    })
  })
})

describe('fromPausable', () => {
  it('pauses the source while no demand is outstanding and resumes it when demand arrives', () => {
    const input = new Subject<string>()
    const source = new FakePausable(input)
    const demand = new Subject<number>()
    const pulled = observe(fromPausable(source).pull(demand))
    expect(source.calls).to.deep.equal(['pause'])
    demand.next(1)
    expect(source.calls).to.deep.equal(['pause', 'resume'])
    input.next('a')
    expect(pulled.values).to.deep.equal(['a'])
    expect(source.calls).to.deep.equal(['pause', 'resume', 'pause'])
  })

  it('passes completion and errors through with no demand outstanding', () => {
    marbles().run(({ hot, expectObservable }) => {
      expectObservable(fromPausable(new FakePausable(hot('---|'))).pull(NEVER)).toBe('---|')
      expectObservable(fromPausable(new FakePausable(hot('--#'))).pull(NEVER)).toBe('--#')
      const demandOne = hot('--1', { 1: 1 })
      expectObservable(fromPausable(new FakePausable(hot('-a--|'))).pull(demandOne)).toBe('--a-|')
    })
  })
})

/** An async iterator settled by hand; it counts next() and return() calls. */
class ManualIterator<T> implements AsyncIterableIterator<T> {
  nextCalls = 0
  returnCalls = 0
  private readonly pending: Array<{ resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }> = []
  private readonly pendingCount = new BehaviorSubject(0)

  next(): Promise<IteratorResult<T>> {
    this.nextCalls++
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject })
      this.pendingCount.next(this.pending.length)
    })
  }

  return(): Promise<IteratorResult<T>> {
    this.returnCalls++
    return Promise.resolve({ done: true, value: undefined })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this
  }

  /** Resolves once a next() call is waiting to be settled. */
  whenPending(): Promise<unknown> {
    return firstValueFrom(this.pendingCount.pipe(filter((count) => count > 0)))
  }

  give(value: T): void {
    this.take().resolve({ done: false, value })
  }

  finish(): void {
    this.take().resolve({ done: true, value: undefined })
  }

  fail(error: unknown): void {
    this.take().reject(error)
  }

  private take() {
    const request = this.pending.shift()
    if (!request) throw new Error('no next() call is pending')
    this.pendingCount.next(this.pending.length)
    return request
  }
}

describe('fromAsyncIterable', () => {
  it('never calls next() more often than demanded, one call at a time', async () => {
    const iterator = new ManualIterator<string>()
    const demand = new Subject<number>()
    const pulled = observe(fromAsyncIterable(iterator).pull(demand))
    await settle()
    expect(iterator.nextCalls).to.equal(0)
    demand.next(2)
    expect(iterator.nextCalls).to.equal(1)
    iterator.give('a')
    await iterator.whenPending()
    expect(iterator.nextCalls).to.equal(2)
    iterator.give('b')
    await settle()
    expect(pulled.values).to.deep.equal(['a', 'b'])
    expect(iterator.nextCalls).to.equal(2)
    demand.next(1)
    expect(iterator.nextCalls).to.equal(3)
  })

  it('completes when the iterator is done, without calling return()', async () => {
    const iterator = new ManualIterator<string>()
    const done = firstValueFrom(fromAsyncIterable(iterator).pull(new BehaviorSubject(5)), { defaultValue: 'completed empty' })
    await iterator.whenPending()
    iterator.finish()
    expect(await done).to.equal('completed empty')
    expect(iterator.returnCalls).to.equal(0)
  })

  it('errors when next() rejects', async () => {
    const iterator = new ManualIterator<string>()
    const failure = new Error('read failed')
    const done = firstValueFrom(fromAsyncIterable(iterator).pull(new BehaviorSubject(1))).catch((error: unknown) => error)
    await iterator.whenPending()
    iterator.fail(failure)
    expect(await done).to.equal(failure)
  })

  it('calls return() on unsubscribe even while a next() is pending (rxjs issue 5998)', async () => {
    const iterator = new ManualIterator<string>()
    const pulled = observe(fromAsyncIterable(iterator).pull(new BehaviorSubject(1)))
    await iterator.whenPending()
    pulled.subscription.unsubscribe()
    expect(iterator.returnCalls).to.equal(1)
    // The pending next() settling late delivers nothing.
    iterator.give('late')
    await settle()
    expect(pulled.values).to.deep.equal([])
  })
})
