import { Writable } from 'stream'
import { AsyncSubject, defaultIfEmpty, fromEvent, merge, Observable, take, type Subscription } from 'rxjs'
import { StreamError } from '../errors'
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
      // A sink whose closed$ completes without a value must still release the write.
      waiting = merge(sink.drain$, sink.closed$)
        .pipe(take(1), defaultIfEmpty(undefined))
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
      if (!ended) sink.error(error ?? new StreamError('stream_aborted', 'the writable stream was destroyed before it ended'))
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

/**
 * A flow-controlled sink over a Node Writable: saturated while `write()` has returned false,
 * `drain$` is its `'drain'` event, and `closed$` completes on `'finish'` or errors with the
 * stream's error, or with a {@link StreamError} coded `stream_closed` if the stream closes
 * (destroyed without an error) before it finished. `complete` ends the stream; `error`
 * destroys it.
 */
export function fromWritable(writable: Writable): FlowSink<Uint8Array> {
  const closed = new AsyncSubject<void>()
  const onFinish = () => {
    closed.next()
    closed.complete()
  }
  const onError = (error: Error) => closed.error(error)
  // 'close' without 'finish' first: destroyed without an error, so not all data was written.
  // After 'finish' or 'error' the subject has settled and this does nothing.
  const onClose = () => closed.error(new StreamError('stream_closed', 'the writable stream closed before it finished'))
  writable.once('finish', onFinish)
  writable.once('error', onError)
  writable.once('close', onClose)
  return {
    next: (chunk) => void writable.write(chunk),
    complete: () => void writable.end(),
    error: (error: unknown) => writable.destroy(error instanceof Error ? error : new StreamError('stream_aborted', `the flow into the stream failed: ${String(error)}`, { cause: error })),
    get saturated() {
      return writable.writableNeedDrain
    },
    drain$: fromEvent(writable, 'drain') as Observable<void>,
    closed$: closed.asObservable(),
  }
}
