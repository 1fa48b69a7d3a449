import * as t from 'io-ts'
import { filter, type OperatorFunction } from 'rxjs'
import { decodeJson } from './decode-json'
import { decodeUtf8 } from './decode-utf8'
import { splitLines, type SplitLinesOptions } from './split-lines'

/**
 * Decodes newline-delimited JSON from a byte stream, records split across chunks included,
 * each checked with an io-ts codec (default: any JSON). Blank lines are skipped; a bad
 * record ends the stream with a {@link DecodeError}, and a record longer than `maxLineBytes`
 * (default 16 MiB) with a `line_too_long` {@link StreamError}.
 *
 * ```
 * source:           --[{"id":1}\n{"i]--[d":2}\n]--|
 * parseNdjson(Rec): --{id:1}-----------{id:2}------|
 * ```
 *
 * @example
 * reader.chunks$.pipe(parseNdjson(SensorRecord)).subscribe((record) => sum += record.value)
 * @see encodeNdjson
 */
export function parseNdjson<A, O = A>(
  codec: t.Type<A, O, unknown> = t.unknown as unknown as t.Type<A, O, unknown>,
  { maxLineBytes }: SplitLinesOptions = {},
): OperatorFunction<Uint8Array, A> {
  return (source) =>
    source.pipe(
      decodeUtf8(),
      splitLines({ maxLineBytes }),
      filter((line) => line.trim() !== ''),
      decodeJson(codec),
    )
}
