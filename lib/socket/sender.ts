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
    const done = this.completion(size)
    if (this.masked?.takes(frame.data, frame.binary)) this.masked.send(frame.data, done)
    else this.ws.send(frame.data, { binary: frame.binary }, done)
    if (gathers) this.gathered(size)
  }

  /**
   * Whether {@link sendPieces} may write to the TCP socket itself: a server socket (its frames
   * are not masked), open, whose ws sender has nothing queued (no compression, no blobs on
   * channel sockets), so a frame written here keeps its place among those ws writes.
   */
  get takesPieces(): boolean {
    // ws's private fields: `_isServer`, and its Sender's `_state` (0 while it writes at once) and `_queue`.
    const ws = this.ws as unknown as { _isServer?: boolean; _sender?: { _state?: number; _queue?: unknown[] } }
    return (
      this.socket !== undefined &&
      this.masked === undefined &&
      ws._isServer === true &&
      ws._sender?._state === 0 &&
      ws._sender._queue?.length === 0 &&
      this.open
    )
  }

  /**
   * Sends one binary frame whose payload is `pieces` (`size` bytes in all) without joining
   * them: its header and the pieces go to the TCP socket in one corked write. Only where
   * {@link takesPieces}.
   */
  sendPieces(pieces: readonly Buffer[], size: number): void {
    const socket = this.socket as Duplex
    this.inflightFrames++
    this.inflightBytes += size
    const gathers = this.corked || size < MAX_GATHERED_BYTES
    if (gathers) this.cork()
    else socket.cork()
    socket.write(binaryFrameHeader(size))
    const last = pieces.length - 1
    for (let index = 0; index < last; index++) socket.write(pieces[index])
    socket.write(pieces[last], this.completion(size))
    if (gathers) this.gathered(size)
    else socket.uncork()
  }

  /**
   * Runs `send`, the TCP socket corked meanwhile: the frames it sends go out in one write
   * (the kernel takes what fits, Node writes the rest as the socket drains).
   */
  inOneWrite(send: () => void): void {
    const socket = this.socket
    if (!socket) return send()
    socket.cork()
    try {
      send()
    } finally {
      socket.uncork()
    }
  }

  private completion(size: number): () => void {
    return () => {
      this.inflightFrames--
      this.inflightBytes -= size
      this.writtenBytes += size
      this.written.next()
    }
  }

  private gathered(size: number): void {
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

/** The header of an unmasked, final binary frame of `size` payload bytes (RFC 6455, 5.2). */
function binaryFrameHeader(size: number): Buffer {
  const extended = size < 126 ? 0 : size < 0x10000 ? 2 : 8
  const header = Buffer.allocUnsafe(2 + extended)
  header[0] = 0x80 | 0x02
  if (extended === 0) header[1] = size
  else if (extended === 2) {
    header[1] = 126
    header.writeUInt16BE(size, 2)
  } else {
    header[1] = 127
    header.writeUInt32BE(Math.floor(size / 0x100000000), 2)
    header.writeUInt32BE(size >>> 0, 6)
  }
  return header
}
