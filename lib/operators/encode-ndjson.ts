import type * as t from 'io-ts'
import { map, type OperatorFunction } from 'rxjs'

/**
 * Serializes each value as one line of newline-delimited JSON, as bytes for a writer.
 *
 * ```
 * source:          --{id:1}------{id:2}------|
 * encodeNdjson():  --'{"id":1}\n'--'{"id":2}\n'--|
 * ```
 *
 * @example
 * from(records).pipe(encodeNdjson()).subscribe(writer.chunks)
 * @see parseNdjson
 */
export function encodeNdjson<A, O = A>(codec?: t.Encoder<A, O>): OperatorFunction<A, Buffer> {
  return map((value) => Buffer.from(`${JSON.stringify(codec ? codec.encode(value) : value)}\n`, 'utf8'))
}

/** {@link encodeNdjson} for any runtime, without Node's Buffer: rx-channels/browser exports it as `encodeNdjson`. */
export function encodeNdjsonBytes<A, O = A>(codec?: t.Encoder<A, O>): OperatorFunction<A, Uint8Array> {
  const encoder = new TextEncoder()
  return map((value) => encoder.encode(`${JSON.stringify(codec ? codec.encode(value) : value)}\n`))
}
