import { ReadableStream } from 'stream/web'
import { Subject, type Subscription } from 'rxjs'
import type { Flow } from '../flow/flow'
import { fromAsyncIterable } from '../flow/from-async-iterable'

/**
 * A WHATWG ReadableStream over a flow: each `pull()` requests one value and settles when it
 * arrives, so the flow is read only as fast as the stream is. `cancel()` unsubscribes; an
 * error from the flow errors the stream.
 */
export function toReadableStream<T>(flow: Flow<T>): ReadableStream<T> {
  const demand = new Subject<number>()
  let subscription: Subscription | undefined
  let arrived: (() => void) | undefined
  return new ReadableStream<T>({
    pull(controller) {
      const next = new Promise<void>((resolve) => (arrived = resolve))
      subscription ??= flow.pull(demand).subscribe({
        next: (value) => {
          controller.enqueue(value)
          arrived?.()
        },
        error: (error: unknown) => {
          controller.error(error)
          arrived?.()
        },
        complete: () => {
          controller.close()
          arrived?.()
        },
      })
      demand.next(1)
      return next
    },
    cancel() {
      subscription?.unsubscribe()
    },
  })
}

/** A flow of a ReadableStream's values, read only on demand; unsubscribing cancels the stream. */
export function fromReadableStream<T>(stream: ReadableStream<T>): Flow<T> {
  return fromAsyncIterable(stream)
}
