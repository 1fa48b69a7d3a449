import { Observable, type MonoTypeOperatorFunction } from 'rxjs'
import { operatorObserver } from './operator-observer'

export interface ByteProgress {
  readonly bytes: number
  readonly chunks: number
  /** True on the last report, made when the source completes. */
  readonly done: boolean
}

/**
 * Passes chunks through unchanged and reports the running byte and chunk counts to
 * `report`: each time another `everyBytes` have passed, and once more at completion.
 *
 * ```
 * source:                       --[40]--[40]--[40]--|
 * countBytes(report, {every 64}): --[40]--[40]--[40]--|
 * report:                       --------80----------120 done
 * ```
 *
 * If `report` throws, the stream errors with what it threw.
 *
 * @example
 * reader.chunks$.pipe(countBytes((p) => writer.sendMessage(JSON.stringify(p)), { everyBytes: 1 << 20 }))
 * @see rechunk
 */
export function countBytes(report: (progress: ByteProgress) => void, { everyBytes = 1024 * 1024 }: { everyBytes?: number } = {}): MonoTypeOperatorFunction<Uint8Array> {
  return (source) =>
    new Observable<Uint8Array>((subscriber) => {
      let bytes = 0
      let chunks = 0
      let nextReport = everyBytes
      return source.subscribe(
        operatorObserver(subscriber, {
          next: (chunk) => {
            bytes += chunk.byteLength
            chunks++
            subscriber.next(chunk)
            if (bytes >= nextReport) {
              nextReport = (Math.floor(bytes / everyBytes) + 1) * everyBytes
              report({ bytes, chunks, done: false })
            }
          },
          complete: () => {
            report({ bytes, chunks, done: true })
            subscriber.complete()
          },
        }),
      )
    })
}
