import type { Duplex } from 'stream'

/**
 * A client's upgrade request held open while the engine waits on something else (a proxied
 * end's hop to its home node). Once the HTTP server hands over an upgrade nothing reads its
 * socket, so a client that leaves would go unnoticed: it is read here, what it sends early is
 * kept (at most `maxEarlyBytes`) for the WebSocket that takes the socket over, and `onGone`
 * hears if the client leaves, or sends more than that, first.
 */
export class HeldUpgrade {
  private readonly early: Buffer[] = []
  private earlyBytes = 0
  private released = false

  constructor(
    private readonly socket: Duplex,
    private readonly head: Buffer,
    private readonly maxEarlyBytes: number,
    private readonly onGone: (reason: string) => void,
  ) {
    socket.on('data', this.onData)
    socket.once('end', this.onEnd)
    socket.once('close', this.onClose)
  }

  /** Stops holding: returns what the client sent after its request, for the WebSocket to read first. */
  release(): Buffer {
    if (!this.released) {
      this.released = true
      // The socket keeps flowing: what takes it over must attach its own 'data' listener in this same turn.
      this.socket.off('data', this.onData)
      this.socket.off('end', this.onEnd)
      this.socket.off('close', this.onClose)
    }
    return this.early.length === 0 ? this.head : Buffer.concat([this.head, ...this.early])
  }

  private readonly onData = (chunk: Buffer) => {
    this.earlyBytes += chunk.length
    if (this.earlyBytes <= this.maxEarlyBytes) this.early.push(chunk)
    else this.gone(`client sent over ${this.maxEarlyBytes} bytes before its upgrade was answered`)
  }

  private readonly onEnd = () => this.gone('client closed its connection')

  private readonly onClose = () => this.gone('client connection closed')

  private gone(reason: string): void {
    if (this.released) return
    this.release()
    this.onGone(reason)
  }
}
