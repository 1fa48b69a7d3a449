import { defer, Observable, Subject, type OperatorFunction } from 'rxjs'
import type { FlowSink } from './sink'

/**
 * A stream whose values flow only as they are requested: the consumer passes `demand$`,
 * each emission of which asks for that many more values of the source. This is how demand
 * travels upstream through RxJS, which by itself only pushes.
 *
 * @example
 * const demand = new Subject<number>()
 * reader.flow.pull(demand).subscribe((chunk) => { handle(chunk); demand.next(1) })
 * demand.next(4) // read ahead at most four chunks
 */
export class Flow<T> {
  constructor(private readonly source: (demand$: Observable<number>) => Observable<T>) {}

  /** The values, no more of them than `demand$` has asked for. */
  pull(demand$: Observable<number>): Observable<T> {
    return defer(() => this.source(demand$))
  }

  /**
   * Applies an operator to the values. Demand still counts the source's values, so an
   * operator that splits or merges values changes how much one unit of demand brings.
   */
  pipe<R>(operator: OperatorFunction<T, R>): Flow<R> {
    return new Flow((demand$) => this.source(demand$).pipe(operator))
  }

  /**
   * Drives this flow into a sink with credit: it keeps `prefetch` values requested while the
   * sink has room, stops asking while it is saturated and asks again when it drains. Emits
   * once and completes when the sink has accepted the end; errors with the source's or the
   * sink's error. Unsubscribing stops the source and aborts the sink.
   */
  to(sink: FlowSink<T>, { prefetch = 8 }: { prefetch?: number } = {}): Observable<void> {
    return new Observable<void>((subscriber) => {
      const demand = new Subject<number>()
      let outstanding = 0
      let ended = false
      const topUp = () => {
        if (ended || sink.saturated || outstanding > prefetch >> 1) return
        const wanted = prefetch - outstanding
        outstanding += wanted
        demand.next(wanted)
      }
      const drained = sink.drain$.subscribe(topUp)
      const closed = sink.closed$.subscribe({
        complete: () => {
          subscriber.next()
          subscriber.complete()
        },
        error: (error: unknown) => subscriber.error(error),
      })
      const values = this.pull(demand).subscribe({
        next: (value) => {
          outstanding--
          sink.next(value)
          topUp()
        },
        error: (error: unknown) => {
          ended = true
          sink.error(error)
          subscriber.error(error)
        },
        complete: () => {
          ended = true
          sink.complete()
        },
      })
      topUp()
      return () => {
        drained.unsubscribe()
        values.unsubscribe()
        closed.unsubscribe()
        if (!ended) sink.error(new Error('the flow into this sink was unsubscribed'))
      }
    })
  }
}
