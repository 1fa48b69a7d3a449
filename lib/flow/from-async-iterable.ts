import { Observable } from 'rxjs'
import { Flow } from './flow'

/**
 * A flow that pulls from an async iterable (a generator, a stream) one `next()` per unit of
 * demand, never ahead of it. Unsubscribing calls the iterator's `return()` at once, even
 * while a `next()` is pending, which RxJS's `from()` does not do. An async generator holds
 * such a `return()` back until its pending step settles: to stop a stream that may never
 * produce again, pass an iterator whose `return()` cancels the stream itself (as
 * `fromReadable` and `fromReadableStream` do).
 */
export function fromAsyncIterable<T>(iterable: AsyncIterable<T>): Flow<T> {
  return new Flow(
    (demand$) =>
      new Observable<T>((subscriber) => {
        const iterator = iterable[Symbol.asyncIterator]()
        let outstanding = 0
        let pulling = false
        let finished = false
        const pump = async () => {
          if (pulling) return
          pulling = true
          try {
            while (outstanding > 0 && !subscriber.closed) {
              const result = await iterator.next()
              if (subscriber.closed) return
              if (result.done) {
                finished = true
                subscriber.complete()
                return
              }
              outstanding--
              subscriber.next(result.value)
            }
          } catch (error) {
            finished = true
            subscriber.error(error)
          } finally {
            pulling = false
          }
        }
        const demand = demand$.subscribe({
          next: (count) => {
            outstanding += count
            void pump()
          },
          error: (error: unknown) => subscriber.error(error),
        })
        return () => {
          demand.unsubscribe()
          if (!finished) iterator.return?.().catch(() => undefined)
        }
      }),
  )
}
