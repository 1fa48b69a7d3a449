import * as E from 'fp-ts/Either'
import { ChannelDirection, StreamChannelRef } from './refs'

export const CHANNEL_PATH_PREFIX = '/ws/channels/'

/**
 * `ws://host:port/ws/channels/{id}?key=..&dir=..` for one end of a channel. A query on the
 * engine URL (a worker `?token=`) is left out: channel sockets are guarded by their keys.
 */
export function channelUrl(engineUrl: string, ref: StreamChannelRef): string {
  const base = engineUrl.replace(/[?#].*$/s, '').replace(/\/+$/, '')
  return `${base}${CHANNEL_PATH_PREFIX}${encodeURIComponent(ref.channel_id)}?key=${encodeURIComponent(
    ref.access_key,
  )}&dir=${ref.direction}`
}

export interface ChannelRequest {
  readonly channelId: string
  readonly key: string
  readonly direction: ChannelDirection
}

/** Why a channel upgrade request is malformed; maps to HTTP 400. */
export interface ChannelRequestError {
  readonly status: 400
  readonly reason: string
}

/** Longer ids cannot be the engine's (it issues UUIDs); refused before any lookup. */
export const MAX_CHANNEL_ID_LENGTH = 256

/** Parses the path and query of a channel upgrade request (`url` as given in the HTTP request line). */
export function parseChannelRequest(url: URL): E.Either<ChannelRequestError, ChannelRequest> {
  const rawId = url.pathname.slice(CHANNEL_PATH_PREFIX.length)
  if (rawId === '' || rawId.includes('/')) return E.left({ status: 400, reason: 'malformed channel id' })
  let channelId: string
  try {
    channelId = decodeURIComponent(rawId)
  } catch {
    return E.left({ status: 400, reason: 'malformed channel id' })
  }
  if (channelId.length > MAX_CHANNEL_ID_LENGTH) {
    return E.left({ status: 400, reason: `malformed channel id: longer than ${MAX_CHANNEL_ID_LENGTH} characters` })
  }
  const key = url.searchParams.get('key')
  if (key === null || key === '') return E.left({ status: 400, reason: 'missing key' })
  const direction = url.searchParams.get('dir')
  if (!ChannelDirection.is(direction)) return E.left({ status: 400, reason: 'dir must be "read" or "write"' })
  return E.right({ channelId, key, direction })
}
