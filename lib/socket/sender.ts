import { Observer, Subject } from 'rxjs'
import type { Duplex } from 'stream'
import WebSocket from 'ws'
import { messageOf } from '../errors'
import { CloseCode } from '../protocol/close-codes'
import { closeSocket } from './close'
import type { Frame } from './frame'
import type { MaskedFrames } from './masked-frames'

/**
 * Bytes of frames one turn of the event loop gathers into a write before it goes out: small
 * frames relayed in a burst leave in one system call instead of one each, and a 64 KiB frame
 * still leaves at once.
 */
const MAX_GATHERED_BYTES = 64 * 1024

/**
 * The sending half of a socket as an Observer of frames, with credit: it counts frames and
 * bytes handed to the socket whose write has not completed yet, and `written$` emits as
 * each completes. Flow control is driven by these callbacks, not by `bufferedAmount`.
 * Given the TCP socket under the WebSocket, frames sent in one turn of the event loop are
 * corked together up to {@link MAX_GATHERED_BYTES}, uncorked on the next tick at the latest.
 * A client socket given {@link MaskedFrames} sends its large binary frames through them.
 */
export class FrameSender implements Observer<Frame> {
  inflightFrames = 0
  inflightBytes = 0
  /** Bytes whose write has completed, since the start: how much the peer has taken. */
  writtenBytes = 0
  private readonly written = new Subject<void>()
  /** Emits as each write completes; completes once the socket has closed. */
  readonly written$ = this.written.asObservable()

  private corked = false
  private gatheredBytes = 0

  constructor(
    private readonly ws: WebSocket,
    private readonly socket?: Duplex,
    private readonly masked?: MaskedFrames,
  ) {
    ws.once('close', () => this.written.complete())
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  next(frame: Frame): void {
    const size = frame.data.length
    this.inflightFrames++
    this.inflightBytes += size
    // A frame that fills a write on its own goes out as it would uncorked.
    const gathers = this.socket !== undefined && (this.corked || size < MAX_GATHERED_BYTES)
    if (gathers) this.cork()
    const done = () => {
      this.inflightFrames--
      this.inflightBytes -= size
      this.writtenBytes += size
      this.written.next()
    }
    if (this.masked?.takes(frame.data, frame.binary)) this.masked.send(frame.data, done)
    else this.ws.send(frame.data, { binary: frame.binary }, done)
    if (!gathers) return
    this.gatheredBytes += size
    if (this.gatheredBytes >= MAX_GATHERED_BYTES) this.flush()
  }

  private cork(): void {
    const socket = this.socket
    if (!socket || this.corked) return
    this.corked = true
    socket.cork()
    process.nextTick(() => {
      this.corked = false
      this.gatheredBytes = 0
      socket.uncork()
    })
  }

  private flush(): void {
    if (!this.socket) return
    this.gatheredBytes = 0
    this.socket.uncork()
    this.socket.cork()
  }

  /** A clean end: the close frame follows every frame sent before it on the same socket. */
  complete(): void {
    this.close(CloseCode.Normal, 'end')
  }

  error(error: unknown): void {
    this.close(CloseCode.WriterAborted, messageOf(error))
  }

  close(code: number, reason: string): void {
    closeSocket(this.ws, code, reason)
  }
}
