import type * as t from 'io-ts'
import { map, type OperatorFunction } from 'rxjs'

/**
 * Encodes each value with an io-ts codec and serializes it as JSON text, ready for
 * `writer.messages`.
 *
 * ```
 * source:               --{done:1}--|
 * encodeJson(Progress): --'{"done":1}'--|
 * ```
 *
 * @example
 * progress$.pipe(encodeJson(Progress)).subscribe({ next: (text) => writer.sendMessage(text) })
 * @see decodeJson
 * @see encodeNdjson
 */
export function encodeJson<A, O>(codec: t.Encoder<A, O>): OperatorFunction<A, string> {
  return map((value) => JSON.stringify(codec.encode(value)))
}
