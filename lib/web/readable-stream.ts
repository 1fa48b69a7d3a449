import type { DrivenFlow, Flow } from '../flow/flow'
import { fromAsyncIterable } from '../flow/from-async-iterable'

/**
 * A WHATWG ReadableStream over a flow: the flow is driven while the stream's queue has room
 * (`desiredSize > 0`), so it is read only as fast as the stream is. `cancel()` unsubscribes;
 * an error from the flow errors the stream.
 */
export function toReadableStream<T>(flow: Flow<T>, { prefetch }: { prefetch?: number } = {}): ReadableStream<T> {
  let driven: DrivenFlow | undefined
  return new ReadableStream<T>({
    pull(controller) {
      driven ??= flow.drive(
        {
          next: (value) => controller.enqueue(value),
          error: (error: unknown) => controller.error(error),
          complete: () => controller.close(),
        },
        { prefetch, wanted: () => (controller.desiredSize ?? 0) > 0 },
      )
      driven.request()
    },
    cancel() {
      driven?.subscription.unsubscribe()
    },
  })
}

/**
 * A flow of a ReadableStream's values, read only on demand. Unsubscribing cancels the stream
 * at once, even while a read is pending (the stream's own iterator would wait for it).
 */
export function fromReadableStream<T>(stream: ReadableStream<T>): Flow<T> {
  return fromAsyncIterable<T>({
    [Symbol.asyncIterator]: () => {
      const reader = stream.getReader()
      return {
        next: () => reader.read() as Promise<IteratorResult<T>>,
        return: () => reader.cancel().then(() => ({ done: true, value: undefined })),
      }
    },
  })
}
