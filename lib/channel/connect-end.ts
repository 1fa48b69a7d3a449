import { Subscription } from 'rxjs'
import { ChannelError } from '../errors'
import { channelUrl } from '../protocol/channel-url'
import type { StreamChannelRef } from '../protocol/refs'
import type { Transport, WireData, WireSocket } from '../socket/wire'
import { channelErrorFrom } from './close-error'
import { DEFAULT_DEAD_AFTER_MS, DEFAULT_PING_INTERVAL_MS } from './keep-alive'
import type { ChannelEndOptions } from './reader'

/** What one end of a channel does with its socket; see {@link connectChannelEnd}. */
export interface ChannelEndSocket {
  /**
   * The socket is open: set up what must exist before its frames are watched (the writer's
   * sender), adding its subscriptions to `connection`.
   */
  opened(socket: WireSocket, connection: Subscription): void
  /** WebSocket subprotocols this end offers. */
  readonly protocols?: readonly string[]
  /** A frame from the engine. */
  frame?(data: WireData): void
  /** Its frames and liveness are watched now. */
  attached(): void
  /** The socket ended: cleanly, or with the error it failed with (a dead engine is `channel_closed`). */
  closed(error?: ChannelError): void
  /** The socket could not be opened (or the engine refused the upgrade). */
  refused(error: ChannelError): void
}

/**
 * Opens the socket of a channel end over `transport` and watches it: its frames, its close,
 * and the engine's liveness (see {@link WireSocket.keepAlive}). No absolute close timer: the
 * engine may hold a socket back while a slow reader drains, and an end waits as long as
 * bytes keep moving. Unsubscribing the returned subscription stops all of it.
 */
export function connectChannelEnd(ref: StreamChannelRef, options: ChannelEndOptions, transport: Transport, end: ChannelEndSocket): Subscription {
  const connection = new Subscription()
  const attach = (socket: WireSocket) => {
    end.opened(socket, connection)
    connection.add(
      socket.frames$.subscribe({
        next: (data) => end.frame?.(data),
        complete: () => end.closed(),
        error: (error: unknown) => end.closed(channelErrorFrom(error)),
      }),
    )
    const liveness = {
      pingIntervalMs: options.keepAlive?.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS,
      deadAfterMs: options.keepAlive?.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS,
    }
    connection.add(socket.keepAlive(liveness, (reason) => end.closed(new ChannelError('channel_closed', reason))))
    end.attached()
  }
  connection.add(
    transport.open(channelUrl(options.engineUrl, ref), ref.direction === 'read' ? 'reader' : 'writer', end.protocols).subscribe({
      next: attach,
      error: (error: unknown) => end.refused(channelErrorFrom(error)),
    }),
  )
  return connection
}
