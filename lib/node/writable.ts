import { Writable } from 'stream'
import { merge, take, type Subscription } from 'rxjs'
import type { FlowSink } from '../flow/sink'

/**
 * A Node Writable over a flow-controlled sink of bytes. Each write is offered to the sink at
 * once; its callback waits while the sink is saturated, so `write()` returns false and
 * `'drain'` fires as usual. `end()` finishes once the sink's end has been accepted, and a
 * failing sink destroys the stream; destroying the stream aborts the sink.
 */
export function toWritable(sink: FlowSink<Uint8Array>): Writable {
  let waiting: Subscription | undefined
  let ended = false
  const writable: Writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      sink.next(chunk)
      if (!sink.saturated) {
        callback()
        return
      }
      waiting = merge(sink.drain$, sink.closed$)
        .pipe(take(1))
        .subscribe({ next: () => callback(), error: (error: Error) => callback(error) })
    },
    final(callback) {
      ended = true
      sink.complete()
      sink.closed$.subscribe({ complete: () => callback(), error: (error: Error) => callback(error) })
    },
    destroy(error, callback) {
      waiting?.unsubscribe()
      failure.unsubscribe()
      if (!ended) sink.error(error ?? new Error('the writable stream was destroyed before it ended'))
      callback(error)
    },
  })
  // Subscribed after construction: a sink that already failed reports at once.
  const failure = sink.closed$.subscribe({
    error: (error: Error) => {
      if (!writable.destroyed) writable.destroy(error)
    },
  })
  return writable
}
