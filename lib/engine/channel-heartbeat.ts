import type { Socket } from 'net'
import WebSocket from 'ws'
import type { Logger } from '../log'
import { SocketProgress } from '../socket/progress'

interface Watched {
  readonly progress: SocketProgress
  readonly onDead: (reason: string) => void
}

/**
 * Liveness of every channel socket, in every state including CLOSING (ws's absolute close
 * timer is off for them). Each beat pings the open ones; a socket whose peer neither answered
 * nor sent nor took a byte since the previous beat is dead: `onDead` hears why, then it is
 * terminated. A socket the engine paused itself (a writer held back for a slow reader) is
 * never judged, since it is not being read.
 */
export class ChannelHeartbeat {
  private readonly watched = new Map<WebSocket, Watched>()

  constructor(
    private readonly periodMs: number,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.watched.size
  }

  /** Watches `ws` until it closes; `dataBytes` counts the data it has taken (or, a writer, sent) so far: any change is progress. */
  watch(ws: WebSocket, socket: Socket, onDead: (reason: string) => void, dataBytes: () => number = () => 0): void {
    this.watched.set(ws, { progress: new SocketProgress(ws, socket, dataBytes), onDead })
    ws.once('close', () => this.unwatch(ws))
  }

  beat(): void {
    for (const [ws, watched] of this.watched) {
      if (watched.progress.advanced() || ws.isPaused) {
        if (ws.readyState === WebSocket.OPEN) ws.ping()
        continue
      }
      const reason = `no pong, no byte sent or taken in ${this.periodMs} ms (heartbeatMs)`
      this.logger.warn(`channel socket dropped: ${reason}`)
      this.unwatch(ws)
      watched.onDead(reason)
      ws.terminate()
    }
  }

  private unwatch(ws: WebSocket): void {
    this.watched.get(ws)?.progress.dispose()
    this.watched.delete(ws)
  }
}
