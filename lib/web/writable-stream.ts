import { AsyncSubject, firstValueFrom, lastValueFrom, merge, Subject } from 'rxjs'
import { StreamError } from '../errors'
import type { FlowSink } from '../flow/sink'

/**
 * A WHATWG WritableStream over a flow-controlled sink: a write resolves at once while the
 * sink has room and waits for its drain otherwise, so the stream's `ready` applies the
 * sink's backpressure. `close()` resolves when the sink has accepted the end; `abort()`
 * aborts the sink.
 */
export function toWritableStream<T>(sink: FlowSink<T>): WritableStream<T> {
  return new WritableStream<T>({
    async write(value) {
      sink.next(value)
      if (sink.saturated) await firstValueFrom(merge(sink.drain$, sink.closed$), { defaultValue: undefined })
    },
    async close() {
      sink.complete()
      await lastValueFrom(sink.closed$, { defaultValue: undefined })
    },
    abort(reason: unknown) {
      sink.error(reason ?? new StreamError('stream_aborted', 'the writable stream was aborted'))
    },
  })
}

/**
 * A flow-controlled sink over a WritableStream: saturated while the stream's desired size is
 * not positive, `drain$` emits when its writer is ready again, `closed$` follows `close()`.
 */
export function fromWritableStream<T>(stream: WritableStream<T>): FlowSink<T> {
  const writer = stream.getWriter()
  const drain = new Subject<void>()
  const closed = new AsyncSubject<void>()
  let waitingForReady = false
  const fail = (error: unknown) => closed.error(error)
  return {
    next: (value) => {
      writer.write(value).catch(fail)
      if ((writer.desiredSize ?? 1) <= 0 && !waitingForReady) {
        waitingForReady = true
        writer.ready.then(() => {
          waitingForReady = false
          drain.next()
        }, fail)
      }
    },
    complete: () => {
      writer.close().then(() => {
        closed.next()
        closed.complete()
      }, fail)
    },
    error: (error: unknown) => void writer.abort(error).catch(() => undefined),
    get saturated() {
      return (writer.desiredSize ?? 1) <= 0
    },
    drain$: drain.asObservable(),
    closed$: closed.asObservable(),
  }
}
