import type { Observer } from 'rxjs'
import WebSocket from 'ws'
import type { Logger } from '../log'
import { closeSocket } from '../socket/close'
import type { EngineEvent, SocketEndpoint } from './events'

/** Every socket the engine accepted, on any endpoint, until it closes: counted in the stats, closed at shutdown. */
export class OpenSockets {
  private readonly sockets = new Set<WebSocket>()

  constructor(
    private readonly logger: Logger,
    private readonly events: Observer<EngineEvent>,
  ) {}

  get size(): number {
    return this.sockets.size
  }

  track(ws: WebSocket, endpoint: SocketEndpoint): void {
    this.sockets.add(ws)
    ws.on('error', (error) => this.logger.debug(`${endpoint} socket error: ${error.message}`))
    ws.on('close', () => {
      this.sockets.delete(ws)
      this.events.next({ type: 'socket_closed', endpoint })
    })
  }

  /** Closes every socket and waits for each to finish its close handshake, terminating stragglers after `graceMs`. */
  async closeAll(code: number, reason: string, graceMs: number): Promise<void> {
    for (const ws of this.sockets) closeSocket(ws, code, reason)
    const pending = [...this.sockets].map(
      (ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve()))),
    )
    const timer = setTimeout(() => this.sockets.forEach((ws) => ws.terminate()), graceMs)
    await Promise.all(pending)
    clearTimeout(timer)
  }
}
