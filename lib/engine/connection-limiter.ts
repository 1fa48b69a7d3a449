import type { Socket } from 'net'
import { Tally } from './pruned-maps'

/** Why a connection was turned away: the HTTP status and reason it is answered with. */
export interface ConnectionRefusal {
  readonly status: 429 | 503
  readonly reason: string
}

/**
 * Counts open TCP connections, in total and per remote address, from the moment they are
 * accepted: a client that opens sockets and never finishes a request holds descriptors as
 * surely as a worker does. A connection counts until its socket closes.
 */
export class ConnectionLimiter {
  private total = 0
  private readonly perAddress = new Tally<string>()

  constructor(
    private readonly maxConnections: number,
    private readonly maxPerAddress: number,
  ) {}

  get size(): number {
    return this.total
  }

  /** Counts `socket` until it closes, or says why it may not open. */
  admit(socket: Socket): ConnectionRefusal | undefined {
    const address = remoteAddress(socket)
    const fromAddress = this.perAddress.of(address)
    if (this.total >= this.maxConnections) {
      return { status: 503, reason: `engine at its connection limit (maxConnections ${this.maxConnections}); retry later` }
    }
    if (fromAddress >= this.maxPerAddress) {
      return { status: 429, reason: `too many connections from ${address} (maxConnectionsPerAddress ${this.maxPerAddress})` }
    }
    this.total++
    this.perAddress.add(address, 1)
    socket.once('close', () => this.release(address))
    return undefined
  }

  /**
   * Counts a connection the engine opens itself (a proxied channel end's hop to its home
   * node) against `maxConnections` until the returned release is called, or says why it may
   * not open. Not per address: its peer is another node, not a client.
   */
  reserveOutbound(): ConnectionRefusal | (() => void) {
    if (this.total >= this.maxConnections) {
      return { status: 503, reason: `engine at its connection limit (maxConnections ${this.maxConnections}); retry later` }
    }
    this.total++
    let released = false
    return () => {
      if (released) return
      released = true
      this.total--
    }
  }

  private release(address: string): void {
    this.total--
    this.perAddress.add(address, -1)
  }
}

/** The peer's address, with IPv4 addresses seen on a dual-stack socket (`::ffff:1.2.3.4`) counted as IPv4. */
function remoteAddress(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown'
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address
}
