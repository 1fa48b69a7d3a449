import { Observable, type OperatorFunction } from 'rxjs'
import { RxChannelsError, StreamError } from '../errors'
import { utf8Length } from '../protocol/bytes'
import { operatorObserver } from './operator-observer'

/** The longest line `splitLines` keeps waiting for its line end by default: 16 MiB of UTF-8. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024

export interface SplitLinesOptions {
  /**
   * The most UTF-8 bytes a line may have, line end excluded (default 16 MiB). A longer line
   * ends the stream with a {@link StreamError} coded `line_too_long` as soon as it is known to
   * be too long, so text without line ends cannot pile up without bound.
   */
  readonly maxLineBytes?: number
}

/**
 * Splits text into lines, however the text was cut into pieces. Line ends (`\n` or
 * `\r\n`) are removed; a last line without a line end is emitted when the source completes.
 * Each piece is scanned once, so a long line arriving in many pieces costs time in
 * proportion to its length.
 *
 * ```
 * source:        --'a\nb'--'c\n'--'d'--|
 * splitLines():  --'a'-----'bc'--------'d'|
 * ```
 *
 * @example
 * of('one\ntw', 'o\nthree').pipe(splitLines()) // 'one', 'two', 'three'
 * of('way too long\n').pipe(splitLines({ maxLineBytes: 4 })) // errors: line_too_long
 * @see decodeUtf8
 * @see parseNdjson
 */
export function splitLines({ maxLineBytes = DEFAULT_MAX_LINE_BYTES }: SplitLinesOptions = {}): OperatorFunction<string, string> {
  if (!(maxLineBytes >= 0)) throw new RxChannelsError('invalid_argument', `maxLineBytes must be a number >= 0, got ${maxLineBytes}`)
  return (source) =>
    new Observable<string>((subscriber) => {
      // The line so far, in pieces: joined once at its line end, never rescanned.
      let pieces: string[] = []
      let partialBytes = 0
      const withoutCarriageReturn = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line)
      const endsWithCarriageReturn = (last: string) => (last === '' ? pieces.at(-1) ?? '' : last).endsWith('\r')
      const checkLength = (bytes: number, last: string) => {
        // A trailing '\r' may be the first half of a '\r\n' line end, which does not count.
        if (bytes - (endsWithCarriageReturn(last) ? 1 : 0) > maxLineBytes) {
          throw new StreamError('line_too_long', `a line is longer than ${maxLineBytes} bytes (maxLineBytes)`)
        }
      }
      const takeLine = (last: string): string => {
        pieces.push(last)
        const line = pieces.join('')
        pieces = []
        partialBytes = 0
        return withoutCarriageReturn(line)
      }
      return source.subscribe(
        operatorObserver(subscriber, {
          next: (text: string) => {
            let start = 0
            for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
              const segment = text.slice(start, end)
              checkLength(partialBytes + utf8Length(segment), segment)
              subscriber.next(takeLine(segment))
              start = end + 1
            }
            if (start === text.length) return
            const rest = text.slice(start)
            pieces.push(rest)
            partialBytes += utf8Length(rest)
            checkLength(partialBytes, rest)
          },
          complete: () => {
            if (pieces.length > 0) subscriber.next(takeLine(''))
            subscriber.complete()
          },
        }),
      )
    })
}
