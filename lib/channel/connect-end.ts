import { Subscription } from 'rxjs'
import type WebSocket from 'ws'
import { ChannelError } from '../errors'
import { channelUrl } from '../protocol/channel-url'
import type { StreamChannelRef } from '../protocol/refs'
import { openSocket, tcpSocketOf } from '../socket/connect'
import type { Frame } from '../socket/frame'
import { socketFrames } from '../socket/frames'
import { WITHOUT_CLOSE_TIMEOUT } from '../socket/progress'
import { channelErrorFrom } from './close-error'
import { keepAlive } from './keep-alive'
import type { ChannelEndOptions } from './reader'

/** What one end of a channel does with its socket; see {@link connectChannelEnd}. */
export interface ChannelEndSocket {
  /**
   * The socket is open: set up what must exist before its frames are watched (the writer's
   * sender), adding its subscriptions to `connection`. Returns the count of bytes this end
   * has had written so far, which keepAlive takes as progress.
   */
  opened(ws: WebSocket, connection: Subscription): () => number
  /** WebSocket subprotocols this end offers. */
  readonly protocols?: readonly string[]
  /** A frame from the engine. */
  frame?(frame: Frame): void
  /** Its frames and liveness are watched now. */
  attached(): void
  /** The socket ended: cleanly, or with the error it failed with (a dead engine is `channel_closed`). */
  closed(error?: ChannelError): void
  /** The socket could not be opened (or the engine refused the upgrade). */
  refused(error: ChannelError): void
}

/**
 * Opens the socket of a channel end and watches it: its frames, its close, and (see
 * {@link keepAlive}) the engine's liveness. No absolute close timer: the engine may hold a
 * socket back while a slow reader drains, and an end waits as long as bytes keep moving.
 * Unsubscribing the returned subscription stops all of it.
 */
export function connectChannelEnd(ref: StreamChannelRef, options: ChannelEndOptions, end: ChannelEndSocket): Subscription {
  const connection = new Subscription()
  const attach = (ws: WebSocket) => {
    const writtenBytes = end.opened(ws, connection)
    connection.add(
      socketFrames(ws).subscribe({
        next: (frame) => end.frame?.(frame),
        complete: () => end.closed(),
        error: (error: unknown) => end.closed(channelErrorFrom(error)),
      }),
    )
    connection.add(keepAlive(ws, tcpSocketOf(ws), writtenBytes, options.keepAlive ?? {}, (reason) => end.closed(new ChannelError('channel_closed', reason))))
    end.attached()
  }
  connection.add(
    openSocket(channelUrl(options.engineUrl, ref), { ...options.connect, protocols: end.protocols }, WITHOUT_CLOSE_TIMEOUT).subscribe({
      next: attach,
      error: (error: unknown) => end.refused(channelErrorFrom(error)),
    }),
  )
  return connection
}
