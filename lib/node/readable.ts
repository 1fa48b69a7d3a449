import { Readable } from 'stream'
import type { Subscription } from 'rxjs'
import type { PausableSource } from '../flow/source'

/**
 * A Node Readable over a pausable source of bytes. The source is subscribed on the first
 * read; when `push()` reports a full buffer the source is paused, and `_read` resumes it.
 * An error from the source destroys the stream with it; destroying the stream unsubscribes.
 */
export function toReadable(source: PausableSource<Uint8Array>, options: { highWaterMark?: number } = {}): Readable {
  let subscription: Subscription | undefined
  const readable: Readable = new Readable({
    highWaterMark: options.highWaterMark,
    read() {
      if (subscription) {
        source.resume()
        return
      }
      subscription = source.values$.subscribe({
        next: (chunk) => {
          if (!readable.push(chunk)) source.pause()
        },
        error: (error: Error) => readable.destroy(error),
        complete: () => readable.push(null),
      })
    },
    destroy(error, callback) {
      subscription?.unsubscribe()
      callback(error)
    },
  })
  return readable
}
