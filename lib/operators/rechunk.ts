import { map, Observable, type OperatorFunction } from 'rxjs'
import { RxChannelsError } from '../errors'
import { concatBytes } from '../protocol/bytes'
import { operatorObserver } from './operator-observer'

/**
 * Re-cuts a byte stream into chunks of exactly `size` bytes; the last one holds the rest.
 *
 * ```
 * source:   --[3 bytes]--[6 bytes]---------|
 * rechunk(4): ----------[4]-------[4]------[1]|
 * ```
 *
 * Emitted chunks that lie within one input chunk are views of it, not copies. A value that
 * is not a Uint8Array (from untyped code) errors the stream.
 *
 * @example
 * of(Buffer.from('abc'), Buffer.from('defghi')).pipe(rechunk(4)) // 'abcd', 'efgh', 'i'
 * @see decodeUtf8
 */
export function rechunk(size: number): OperatorFunction<Uint8Array, Buffer> {
  const cut = rechunkBytes(size)
  return (source) => source.pipe(cut, map((bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)))
}

/** {@link rechunk} for any runtime, without Node's Buffer: rx-channels/browser exports it as `rechunk`. */
export function rechunkBytes(size: number): OperatorFunction<Uint8Array, Uint8Array> {
  if (!Number.isInteger(size) || size < 1) throw new RxChannelsError('invalid_argument', `rechunk size must be a whole number >= 1, got ${size}`)
  return (source) =>
    new Observable<Uint8Array>((subscriber) => {
      let pending: Uint8Array[] = []
      let pendingBytes = 0
      return source.subscribe(
        operatorObserver(subscriber, {
          next: (chunk) => {
            // Untyped code may send anything: it errors the stream here rather than be cut as bytes.
            if (!(chunk instanceof Uint8Array)) throw new TypeError(`rechunk takes Uint8Arrays, got ${typeof chunk}`)
            let data = chunk
            while (pendingBytes + data.length >= size) {
              const needed = size - pendingBytes
              pending.push(data.subarray(0, needed))
              subscriber.next(pending.length === 1 ? pending[0] : concatBytes(pending))
              pending = []
              pendingBytes = 0
              data = data.subarray(needed)
            }
            if (data.length > 0) {
              pending.push(data)
              pendingBytes += data.length
            }
          },
          complete: () => {
            if (pendingBytes > 0) subscriber.next(concatBytes(pending))
            subscriber.complete()
          },
        }),
      )
    })
}
