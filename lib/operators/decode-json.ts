import * as t from 'io-ts'
import * as E from 'fp-ts/Either'
import { pipe } from 'fp-ts/function'
import { Observable, type OperatorFunction } from 'rxjs'
import { DecodeError } from '../errors'
import { describeErrors } from '../protocol/decode'
import { operatorObserver } from './operator-observer'

/**
 * Parses each string as JSON and checks it with an io-ts codec. The first value that is not
 * JSON, or that the codec refuses, ends the stream with a {@link DecodeError} naming the
 * bad field; nothing throws. A codec that throws ends the stream with what it threw.
 *
 * ```
 * source:               --'{"done":1}'--'oops'--|
 * decodeJson(Progress): --{done:1}------#          (# = DecodeError: invalid JSON)
 * ```
 *
 * @example
 * reader.messages$.pipe(decodeJson(Progress)).subscribe((progress) => bar.update(progress.bytes))
 * @see encodeJson
 */
export function decodeJson<A, O = A>(codec: t.Type<A, O, unknown>): OperatorFunction<string, A> {
  return (source) =>
    new Observable<A>((subscriber) =>
      source.subscribe(
        operatorObserver(subscriber, {
          next: (text: string) => {
            const decoded = pipe(
              E.tryCatch(
                () => JSON.parse(text) as unknown,
                (error) => new DecodeError(`not JSON: ${(error as Error).message}`),
              ),
              E.chain((json) =>
                pipe(
                  codec.decode(json),
                  E.mapLeft((errors) => new DecodeError(`not a ${codec.name}: ${describeErrors(errors)}`)),
                ),
              ),
            )
            if (E.isRight(decoded)) subscriber.next(decoded.right)
            else subscriber.error(decoded.left)
          },
        }),
      ),
    )
}
