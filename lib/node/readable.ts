import { Readable } from 'stream'
import type { DrivenFlow, Flow } from '../flow/flow'
import { fromAsyncIterable } from '../flow/from-async-iterable'

/**
 * A Node Readable over a flow of bytes: the flow is driven while the stream wants data
 * (from `_read` until `push()` reports a full buffer), so the source is read only as fast
 * as the stream is consumed. An error from the flow destroys the stream with it; destroying
 * the stream unsubscribes from the flow.
 */
export function toReadable(flow: Flow<Uint8Array>, options: { highWaterMark?: number; prefetch?: number } = {}): Readable {
  let wanting = false
  let driven: DrivenFlow | undefined
  const readable: Readable = new Readable({
    highWaterMark: options.highWaterMark,
    read() {
      wanting = true
      driven ??= flow.drive(
        {
          next: (chunk) => {
            if (!readable.push(chunk)) wanting = false
          },
          error: (error: Error) => readable.destroy(error),
          complete: () => readable.push(null),
        },
        { prefetch: options.prefetch, wanted: () => wanting },
      )
      driven.request()
    },
    destroy(error, callback) {
      driven?.subscription.unsubscribe()
      callback(error)
    },
  })
  return readable
}

/**
 * A flow of a Node Readable's chunks, read only on demand. Unsubscribing destroys the stream
 * at once, even while a read is pending (the stream's own iterator would wait for it).
 */
export function fromReadable(readable: Readable): Flow<Buffer> {
  return fromAsyncIterable<Buffer>({
    [Symbol.asyncIterator]: () => {
      const chunks = readable[Symbol.asyncIterator]()
      return {
        next: () => chunks.next(),
        return: () => {
          readable.destroy()
          return Promise.resolve({ done: true, value: undefined })
        },
      }
    },
  })
}
