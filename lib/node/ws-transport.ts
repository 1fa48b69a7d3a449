import { map, type Observable } from 'rxjs'
import type WebSocket from 'ws'
import { keepAlive } from '../socket/keep-alive'
import { CoalescingSender } from '../socket/coalescing-sender'
import { closeSocket } from '../socket/close'
import { openSocket, tcpSocketOf, type ConnectOptions } from '../socket/connect'
import { binaryFrame, textFrame } from '../socket/frame'
import { socketFrames } from '../socket/frames'
import { MaskedFrames } from '../socket/masked-frames'
import { WITHOUT_CLOSE_TIMEOUT } from '../socket/progress'
import { FrameSender } from '../socket/sender'
import { slabReadConnection } from '../socket/slab-reads'
import type { Liveness, Transport, WireData, WireRole, WireSocket } from '../socket/wire'

/**
 * The Node transport: sockets of ws. The worker socket sends its control messages through
 * a {@link CoalescingSender} (few system calls under load); channel sockets through a
 * {@link FrameSender} (flow control by write callbacks; a writer's frames corked per turn)
 * and without ws's close timeout.
 */
export function wsTransport(connect: ConnectOptions = {}): Transport {
  return {
    open: (url: string, role: WireRole, protocols?: readonly string[]) =>
      openSocket(url, { ...connect, protocols }, socketOptions(url, role)).pipe(map((ws) => new WsWireSocket(ws, role))),
  }
}

/** A channel reader over plain TCP reads into slabs (see {@link slabReadConnection}); TLS reads stay Node's. */
function socketOptions(url: string, role: WireRole): object {
  if (role === 'worker') return {}
  if (role === 'reader' && url.startsWith('ws:')) return { ...WITHOUT_CLOSE_TIMEOUT, createConnection: slabReadConnection }
  return WITHOUT_CLOSE_TIMEOUT
}

class WsWireSocket implements WireSocket {
  readonly frames$: Observable<WireData>
  private readonly sender: FrameSender
  private readonly coalescing?: CoalescingSender

  constructor(
    private readonly ws: WebSocket,
    role: WireRole,
  ) {
    // A writer's small frames sent in one turn leave in one write rather than one system call
    // each, and its large frames are masked in pooled buffers rather than a new one each.
    if (role === 'writer') {
      const socket = tcpSocketOf(ws)
      this.sender = new FrameSender(ws, socket, new MaskedFrames(ws, socket))
    } else {
      this.sender = new FrameSender(ws)
    }
    if (role === 'worker') this.coalescing = new CoalescingSender(ws, tcpSocketOf(ws))
    this.frames$ = socketFrames(ws).pipe(map((frame) => (frame.binary ? frame.data : frame.data.toString('utf8'))))
  }

  get open(): boolean {
    return this.sender.open
  }

  get bufferedBytes(): number {
    return this.sender.inflightBytes
  }

  get written$(): Observable<void> {
    return this.sender.written$
  }

  get protocol(): string {
    return this.ws.protocol
  }

  send(data: WireData): void {
    if (typeof data === 'string') {
      if (this.coalescing) this.coalescing.send(data)
      else this.sender.next(textFrame(data))
      return
    }
    this.sender.next(binaryFrame(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)))
  }

  pause(): void {
    this.ws.pause()
  }

  resume(): void {
    this.ws.resume()
  }

  close(code: number, reason: string): void {
    closeSocket(this.ws, code, reason)
  }

  terminate(): void {
    this.ws.terminate()
  }

  keepAlive(options: Liveness, onDead: (reason: string) => void): () => void {
    return keepAlive(this.ws, tcpSocketOf(this.ws), () => this.sender.writtenBytes, options, onDead)
  }
}
