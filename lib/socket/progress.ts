import type { Socket } from 'net'
import type WebSocket from 'ws'

/**
 * ws destroys a socket whose closing handshake is not done within its `closeTimeout` (30 s),
 * however much the peer is still reading or writing. Channel sockets spread this into their
 * ws options instead (the largest delay a Node timer takes) and tell a dead peer by its lack
 * of progress: see {@link SocketProgress}. Typed `object` because @types/ws does not know the
 * option yet (ws 8.23 takes it on servers and clients alike).
 */
export const WITHOUT_CLOSE_TIMEOUT: object = { closeTimeout: 2 ** 31 - 1 }

/**
 * Whether the peer of a socket has made progress: sent any byte (data, ping, pong, close), or
 * taken data written to it (`writtenBytes`, counted as writes complete). Our own pings do not
 * count: the kernel takes them from a dead peer's socket as readily as from a live one.
 */
export class SocketProgress {
  private answered = true
  private lastRead: number
  private lastWritten: number
  private readonly onAnswer = () => {
    this.answered = true
  }

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    private readonly writtenBytes: () => number,
  ) {
    this.lastRead = socket.bytesRead
    this.lastWritten = writtenBytes()
    // A TLS socket may count its bytes read differently: a pong, ping or message is progress anyway.
    ws.on('pong', this.onAnswer)
    ws.on('ping', this.onAnswer)
    ws.on('message', this.onAnswer)
  }

  /** Whether anything moved since the last call (the first call always says yes). */
  advanced(): boolean {
    const read = this.socket.bytesRead
    const written = this.writtenBytes()
    const moved = this.answered || read !== this.lastRead || written !== this.lastWritten
    this.answered = false
    this.lastRead = read
    this.lastWritten = written
    return moved
  }

  dispose(): void {
    this.ws.off('pong', this.onAnswer)
    this.ws.off('ping', this.onAnswer)
    this.ws.off('message', this.onAnswer)
  }
}
