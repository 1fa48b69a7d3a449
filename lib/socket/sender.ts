import { Observer, Subject } from 'rxjs'
import WebSocket from 'ws'
import { messageOf } from '../errors'
import { CloseCode } from '../protocol/close-codes'
import { closeSocket } from './close'
import type { Frame } from './frame'

/**
 * The sending half of a socket as an Observer of frames, with credit: it counts frames and
 * bytes handed to the socket whose write has not completed yet, and `written$` emits as
 * each completes. Flow control is driven by these callbacks, not by `bufferedAmount`.
 */
export class FrameSender implements Observer<Frame> {
  inflightFrames = 0
  inflightBytes = 0
  /** Bytes whose write has completed, since the start: how much the peer has taken. */
  writtenBytes = 0
  private readonly written = new Subject<void>()
  /** Emits as each write completes; completes once the socket has closed. */
  readonly written$ = this.written.asObservable()

  constructor(private readonly ws: WebSocket) {
    ws.once('close', () => this.written.complete())
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  next(frame: Frame): void {
    const size = frame.data.length
    this.inflightFrames++
    this.inflightBytes += size
    this.ws.send(frame.data, { binary: frame.binary }, () => {
      this.inflightFrames--
      this.inflightBytes -= size
      this.writtenBytes += size
      this.written.next()
    })
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
