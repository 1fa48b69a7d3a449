import { Readable } from 'stream'
import { Subject, type Subscription } from 'rxjs'
import type { Flow } from '../flow/flow'
import { fromAsyncIterable } from '../flow/from-async-iterable'

/**
 * A Node Readable over a flow of bytes: each `_read` asks the flow for one more value, so
 * the source is read only as fast as the stream is consumed. An error from the flow
 * destroys the stream with it; destroying the stream unsubscribes from the flow.
 */
export function toReadable(flow: Flow<Uint8Array>, options: { highWaterMark?: number } = {}): Readable {
  const demand = new Subject<number>()
  let subscription: Subscription | undefined
  const readable: Readable = new Readable({
    highWaterMark: options.highWaterMark,
    read() {
      subscription ??= flow.pull(demand).subscribe({
        next: (chunk) => readable.push(chunk),
        error: (error: Error) => readable.destroy(error),
        complete: () => readable.push(null),
      })
      demand.next(1)
    },
    destroy(error, callback) {
      subscription?.unsubscribe()
      callback(error)
    },
  })
  return readable
}

/** A flow of a Node Readable's chunks, read only on demand; unsubscribing destroys the stream. */
export function fromReadable(readable: Readable): Flow<Buffer> {
  return fromAsyncIterable<Buffer>(readable)
}
