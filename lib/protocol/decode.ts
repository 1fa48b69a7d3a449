import * as t from 'io-ts'
import * as E from 'fp-ts/Either'

/** Why a text frame is not a message we can act on. */
export type DecodeFailure =
  | { readonly kind: 'invalid_json'; readonly reason: string }
  | { readonly kind: 'not_a_message'; readonly reason: string }
  | { readonly kind: 'unknown_type'; readonly type: string; readonly reason: string }
  | {
      readonly kind: 'invalid_fields'
      readonly type: string
      readonly reason: string
      /** Present when the bad frame still names an invocation the sender waits on. */
      readonly invocation_id?: string
    }

type CodecTable = Readonly<Record<string, t.Mixed>>
type MessageOf<Table extends CodecTable> = t.TypeOf<Table[keyof Table]>

const MessageEnvelope = t.type({ type: t.string })

/** Renders io-ts errors as `path: expected X, got Y`, with the path to each bad field. */
export function describeErrors(errors: t.Errors, limit = 3): string {
  const lines = errors.slice(0, limit).map((error) => {
    const path = error.context
      .filter((entry, index) => entry.key !== '' && !isCombinator(error.context[index - 1]?.type))
      .map((entry) => entry.key)
      .join('.')
    const expected = error.context[error.context.length - 1]?.type.name ?? 'value'
    return `${path || '(root)'}: expected ${expected}, got ${preview(error.value)}`
  })
  const more = errors.length > limit ? ` (+${errors.length - limit} more)` : ''
  return lines.join('; ') + more
}

// Intersection and union members are indexed in the context, but those indices are not fields;
// an exact codec passes its own context entry on to the codec it wraps.
function isCombinator(type: t.Decoder<unknown, unknown> | undefined): boolean {
  if (type instanceof t.ExactType) return isCombinator(type.type)
  return type instanceof t.IntersectionType || type instanceof t.UnionType
}

/** Fields whose values are secrets: never shown in a reason, since reasons are logged. */
const SECRET_FIELDS = new Set(['access_key', 'reattach_token'])

function preview(value: unknown): string {
  if (value === undefined) return 'undefined'
  let text: string
  try {
    text = JSON.stringify(value, (key, field: unknown) => (SECRET_FIELDS.has(key) ? '[redacted]' : field)) ?? String(value)
  } catch {
    // Too deeply nested to serialize (or a cycle, which JSON cannot produce).
    return '(a value too deep to show)'
  }
  return clip(text, 60)
}

/** Shortens a client-supplied string before it goes into a log line or a reason. */
export function clip(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text
}

/** A plain try rather than `E.tryCatch`, which allocates a closure per call. */
function parseJson(text: string): E.Either<DecodeFailure, unknown> {
  try {
    return E.right(JSON.parse(text) as unknown)
  } catch (error) {
    // V8 quotes part of the text after ', "'; that part may hold a key, and reasons are logged.
    return E.left({ kind: 'invalid_json', reason: (error as Error).message.replace(/, ".*$/s, '') })
  }
}

/** Codecs whose `validate` returns the very value it was given once that value passes `is`: they check, never transform. */
const CHECK_ONLY_TAGS = new Set(['StringType', 'NumberType', 'BooleanType', 'NullType', 'UndefinedType', 'UnknownType', 'LiteralType', 'KeyofType'])

/**
 * Whether decoding a value that `codec.is` accepts gives back that same value, so the
 * checking `is` can stand in for `decode` on valid input. True for records, partials,
 * intersections and unions of plain checks; false for anything that may transform, such as
 * `t.exact`, which strips fields.
 */
export function decodesToItself(codec: t.Mixed): boolean {
  if (codec instanceof t.InterfaceType || codec instanceof t.PartialType) {
    return Object.values(codec.props as Record<string, t.Mixed>).every(decodesToItself)
  }
  if (codec instanceof t.IntersectionType || codec instanceof t.UnionType) return (codec.types as t.Mixed[]).every(decodesToItself)
  return CHECK_ONLY_TAGS.has((codec as { _tag?: string })._tag ?? '')
}

/**
 * Builds a decoder for JSON text frames whose `type` field selects a codec from `table`.
 * The only place raw JSON becomes a typed message; failures are values, never exceptions.
 * Plain `isLeft` checks rather than `pipe`/`chain`: fp-ts's data-last combinators allocate
 * on every call, and this runs for every control message. A valid message of a codec that
 * {@link decodesToItself} is checked with `is` (about a fifth of `decode`'s cost, which
 * builds a context per field); only a message that fails it is decoded, for the errors.
 */
export function messageDecoder<Table extends CodecTable>(
  table: Table,
): (text: string) => E.Either<DecodeFailure, MessageOf<Table>> {
  const checkOnly = new Set(Object.keys(table).filter((type) => decodesToItself(table[type])))
  return (text) => {
    const parsed = parseJson(text)
    if (E.isLeft(parsed)) return parsed
    const json = parsed.right
    if (!MessageEnvelope.is(json)) return E.left({ kind: 'not_a_message', reason: 'expected a JSON object with a string "type" field' })
    const { type } = json
    const codec = Object.prototype.hasOwnProperty.call(table, type) ? table[type] : undefined
    if (codec === undefined) return E.left({ kind: 'unknown_type', type, reason: `unknown message type "${clip(type, 60)}"` })
    if (checkOnly.has(type) && codec.is(json)) return E.right(json as MessageOf<Table>)
    const decoded = codec.decode(json) as t.Validation<MessageOf<Table>>
    if (E.isRight(decoded)) return decoded
    return E.left({ kind: 'invalid_fields', type, reason: `invalid ${type}: ${describeErrors(decoded.left)}`, ...invocationIdOf(json) })
  }
}

function invocationIdOf(json: unknown): { invocation_id?: string } {
  const id = (json as { invocation_id?: unknown }).invocation_id
  return typeof id === 'string' ? { invocation_id: id } : {}
}

/** Human-readable reason for a decode failure. */
export function failureReason(failure: DecodeFailure): string {
  return failure.kind === 'invalid_json' ? `invalid JSON: ${failure.reason}` : failure.reason
}
