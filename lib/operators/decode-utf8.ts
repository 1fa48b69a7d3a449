import { Observable, type OperatorFunction } from 'rxjs'
import { DecodeError } from '../errors'
import { operatorObserver } from './operator-observer'

/**
 * Decodes a byte stream as UTF-8 text, keeping characters whole across chunk boundaries.
 * Invalid UTF-8, or a character cut off by the end of the stream, is an error
 * ({@link DecodeError}), never a silent replacement character.
 *
 * ```
 * source:        --[e2 82]--[ac 21]--|
 * decodeUtf8():  --''-------'€!'-----|   (empty strings are not emitted)
 * ```
 *
 * @example
 * of(Buffer.from([0xe2, 0x82]), Buffer.from([0xac])).pipe(decodeUtf8()) // '€'
 * @see splitLines
 */
export function decodeUtf8(): OperatorFunction<Uint8Array, string> {
  return (source) =>
    new Observable<string>((subscriber) => {
      const decoder = new TextDecoder('utf-8', { fatal: true })
      const decode = (chunk?: Uint8Array): string | undefined => {
        try {
          return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true })
        } catch {
          subscriber.error(new DecodeError('the byte stream is not valid UTF-8'))
          return undefined
        }
      }
      return source.subscribe(
        operatorObserver(subscriber, {
          next: (chunk) => {
            const text = decode(chunk)
            if (text) subscriber.next(text)
          },
          complete: () => {
            const rest = decode()
            if (rest === undefined) return
            if (rest !== '') subscriber.next(rest)
            subscriber.complete()
          },
        }),
      )
    })
}
