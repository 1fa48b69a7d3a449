import { Observable } from 'rxjs'
import { Flow } from './flow'
import type { PausableSource } from './source'

/**
 * A flow over a pausable source: the source is paused whenever no demand is outstanding,
 * so values wait at the source (a channel reader keeps a bounded read-ahead, then stops
 * reading its socket) instead of piling up downstream.
 */
export function fromPausable<T>(source: PausableSource<T>): Flow<T> {
  return new Flow(
    (demand$) =>
      new Observable<T>((subscriber) => {
        let outstanding = 0
        source.pause()
        const values = source.values$.subscribe({
          next: (value) => {
            outstanding--
            if (outstanding <= 0) source.pause()
            subscriber.next(value)
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        })
        const demand = demand$.subscribe({
          next: (count) => {
            outstanding += count
            if (outstanding > 0) source.resume()
          },
          error: (error: unknown) => subscriber.error(error),
        })
        return () => {
          demand.unsubscribe()
          values.unsubscribe()
        }
      }),
  )
}
