import { Observable, type OperatorFunction } from 'rxjs'

/**
 * Splits text into lines, however the text was cut into pieces. Line ends (`\n` or
 * `\r\n`) are removed; a last line without a line end is emitted when the source completes.
 *
 * ```
 * source:        --'a\nb'--'c\n'--'d'--|
 * splitLines():  --'a'-----'bc'--------'d'|
 * ```
 *
 * @example
 * of('one\ntw', 'o\nthree').pipe(splitLines()) // 'one', 'two', 'three'
 * @see decodeUtf8
 * @see parseNdjson
 */
export function splitLines(): OperatorFunction<string, string> {
  return (source) =>
    new Observable<string>((subscriber) => {
      let partial = ''
      return source.subscribe({
        next: (text) => {
          const lines = (partial + text).split('\n')
          partial = lines.pop() as string
          for (const line of lines) subscriber.next(line.endsWith('\r') ? line.slice(0, -1) : line)
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (partial !== '') subscriber.next(partial.endsWith('\r') ? partial.slice(0, -1) : partial)
          subscriber.complete()
        },
      })
    })
}
