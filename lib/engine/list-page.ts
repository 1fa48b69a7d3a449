import * as E from 'fp-ts/Either'
import { PageRequest } from '../protocol/engine-functions'
import type { ErrorBody } from '../protocol/messages'
import { invalidInput } from './invalid-input'
import type { PageBounds } from './paged-index'

/** Entries in a page when the caller names no `limit`: enough for most deployments to see all in one call. */
export const DEFAULT_PAGE_ENTRIES = 500
/** The most entries a caller may ask for in one page. */
export const MAX_PAGE_ENTRIES = 1000
/**
 * A page stops before the entry that would take it past this many bytes (it always holds at
 * least one), so an answer stays far below the 100 MiB message limit of the SDKs' sockets.
 */
export const MAX_PAGE_BYTES = 1024 * 1024

/** Reads a listing's input into a cursor and bounds, or the `invalid_input` error that says what is wrong. */
export function decodePageRequest(functionId: string, input: unknown): E.Either<ErrorBody, { cursor?: number; bounds: PageBounds }> {
  const decoded = PageRequest.decode(input)
  if (E.isLeft(decoded)) return E.left(invalidInput(functionId, decoded.left))
  const limit = decoded.right?.limit ?? DEFAULT_PAGE_ENTRIES
  if (!Number.isInteger(limit) || limit < 1) return E.left(invalidInput(functionId, `limit must be a whole number >= 1, got ${limit}`))
  const cursorText = decoded.right?.cursor ?? undefined
  const cursor = cursorText === undefined ? undefined : Number(cursorText)
  if (cursor !== undefined && (!/^\d{1,15}$/.test(cursorText as string) || !Number.isSafeInteger(cursor))) {
    return E.left(invalidInput(functionId, 'cursor must be a next_cursor this engine returned'))
  }
  return E.right({ cursor, bounds: { limit: Math.min(limit, MAX_PAGE_ENTRIES), maxBytes: MAX_PAGE_BYTES } })
}

/** A listing's answer, with `next_cursor` when there is more to list. */
export function withCursor<T extends object>(answer: T, nextCursor: number | undefined): T & { next_cursor?: string } {
  return nextCursor === undefined ? answer : { ...answer, next_cursor: String(nextCursor) }
}
