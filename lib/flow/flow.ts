import { identity, Observable, Subject, tap, type Observer, type OperatorFunction, type Subscription } from 'rxjs'
import { StreamError } from '../errors'
import type { FlowSink } from './sink'

/** A running flow driven by credit; see {@link Flow.drive}. */
export interface DrivenFlow {
  readonly subscription: Subscription
  /** Asks for more if the consumer wants it now: call it when `wanted()` may have become true. */
  request(): void
}

/**
 * A stream whose values flow only as they are requested: the consumer passes `demand$`,
 * each emission of which asks for that many more values of the source. This is how demand
 * travels upstream through RxJS, which by itself only pushes.
 *
 * Operators applied with `pipe` run between the source and the consumer; demand keeps
 * counting the source's values, so an operator that merges values (`rechunk`, `splitLines`)
 * cannot stall a consumer that waits for output.
 *
 * @example
 * const demand = new Subject<number>()
 * reader.flow.pull(demand).subscribe((chunk) => { handle(chunk); demand.next(1) })
 * demand.next(4) // read ahead at most four chunks
 */
export class Flow<T> {
  constructor(source: (demand$: Observable<number>) => Observable<T>)
  constructor(source: (demand$: Observable<number>) => Observable<unknown>, operator: OperatorFunction<unknown, T>)
  constructor(
    private readonly source: (demand$: Observable<number>) => Observable<unknown>,
    private readonly operator: OperatorFunction<unknown, T> = identity as OperatorFunction<unknown, T>,
  ) {}

  /** The values; the source emits no more values than `demand$` has asked for. */
  pull(demand$: Observable<number>): Observable<T> {
    return new Observable<T>((subscriber) => this.source(demand$).pipe(this.operator).subscribe(subscriber))
  }

  /** Applies an operator to the values, as `Observable.pipe` does. */
  pipe<R>(operator: OperatorFunction<T, R>): Flow<R> {
    const composed = this.operator
    return new Flow<R>(this.source, (values) => operator(composed(values)))
  }

  /**
   * Subscribes with credit: while `wanted()` is true, keeps up to `prefetch` source values
   * requested, topping up in batches once half of them have arrived (rather than one credit
   * at a time). Values already requested still arrive after `wanted()` turns false, so a
   * consumer holds at most `prefetch` more than it asked for.
   */
  drive(observer: Partial<Observer<T>>, { prefetch = 8, wanted }: { prefetch?: number; wanted: () => boolean }): DrivenFlow {
    const demand = new Subject<number>()
    let outstanding = 0
    let stopped = false
    let scheduled = false
    const request = () => {
      if (stopped || outstanding > prefetch >> 1 || !wanted()) return
      const more = prefetch - outstanding
      outstanding += more
      demand.next(more)
    }
    // Asking for more while a value is still on its way through the operators would let the
    // next values overtake it; so top up once the current synchronous delivery is done.
    const requestSoon = () => {
      if (scheduled) return
      scheduled = true
      queueMicrotask(() => {
        scheduled = false
        request()
      })
    }
    const subscription = this.source(demand)
      .pipe(
        tap(() => {
          outstanding--
          requestSoon()
        }),
        this.operator,
      )
      .subscribe(observer)
    subscription.add(() => (stopped = true))
    request()
    return { subscription, request }
  }

  /**
   * Drives this flow into a sink with credit: requests more only while the sink is not
   * saturated, and again when it drains. Emits once and completes when the sink has accepted
   * the end; errors with the source's or the sink's error. Unsubscribing stops the source
   * and aborts the sink.
   */
  to(sink: FlowSink<T>, { prefetch = 8 }: { prefetch?: number } = {}): Observable<void> {
    return new Observable<void>((subscriber) => {
      let ended = false
      let sinkClosed = false
      const closed = sink.closed$.subscribe({
        complete: () => {
          sinkClosed = true
          subscriber.next()
          subscriber.complete()
        },
        error: (error: unknown) => {
          sinkClosed = true
          subscriber.error(error)
        },
      })
      // A sink that has already closed or failed gets nothing more.
      if (sinkClosed) return () => closed.unsubscribe()
      const driven = this.drive(
        {
          next: (value) => sink.next(value),
          error: (error: unknown) => {
            ended = true
            sink.error(error)
            subscriber.error(error)
          },
          complete: () => {
            ended = true
            sink.complete()
          },
        },
        { prefetch, wanted: () => !sinkClosed && !sink.saturated },
      )
      const drained = sink.drain$.subscribe(() => driven.request())
      return () => {
        drained.unsubscribe()
        driven.subscription.unsubscribe()
        closed.unsubscribe()
        if (!ended) sink.error(new StreamError('flow_unsubscribed', 'the flow into this sink was unsubscribed'))
      }
    })
  }
}
