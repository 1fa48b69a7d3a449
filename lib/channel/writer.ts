import { AsyncSubject, Subject, type Observable, type Observer, type Subscription } from 'rxjs'
import { ChannelError, messageOf } from '../errors'
import type { FlowSink } from '../flow/sink'
import { WaterMarks } from '../flow/water-marks'
import { CloseCode } from '../protocol/close-codes'
import { utf8Length } from '../protocol/bytes'
import type { StreamChannelRef } from '../protocol/refs'
import type { Transport, WireData, WireSocket } from '../socket/wire'
import { connectChannelEnd } from './connect-end'
import type { ChannelEndOptions } from './reader'

/** Binary data is sent in frames of at most this size, so a frame count bounds memory. */
export const FRAME_SIZE = 64 * 1024
/** Bytes queued or in flight above which the writer reports itself saturated. */
const HIGH_WATER_BYTES = 1024 * 1024
const LOW_WATER_BYTES = 256 * 1024

type Ending = { readonly clean: true } | { readonly clean: false; readonly error: ChannelError }

/**
 * The write end of a channel. `chunks` (an Observer of binary data with flow control) and
 * `messages` (an Observer of text) are the core; `sendMessage` and `close` are built on them,
 * and the Node `stream` (see lib/node/channel-ends.ts, which keeps Node out of this layer).
 * The socket opens on first use; ending the writer always connects, so the
 * reader learns of the end even when nothing was written. `closed$` completes once the
 * engine has everything, and errors if the reader went away or the socket failed.
 */
export class ChannelWriter {
  /** Binary data: `next` writes, `complete` ends cleanly, `error` aborts (the reader errors). */
  readonly chunks: FlowSink<Uint8Array>
  /** Text side messages: `next` sends one; `error` aborts the channel; `complete` does nothing. */
  readonly messages: Observer<string>

  private readonly pending: WireData[] = []
  private pendingBytes = 0
  private socket?: WireSocket
  private connection?: Subscription
  private ending?: Ending
  private failure?: ChannelError
  /** High once the writer was saturated, until it falls to the low-water mark and `drain$` emits. */
  private readonly buffered = new WaterMarks()
  /** Emits when the writer falls back under its low-water mark; completes once it has ended or failed. */
  private readonly drain = new Subject<void>()
  private readonly closed = new AsyncSubject<void>()

  constructor(
    readonly ref: StreamChannelRef,
    private readonly options: ChannelEndOptions,
    private readonly transport: Transport,
  ) {
    if (ref.direction !== 'write') throw new ChannelError('channel_refused', 'a ChannelWriter needs a ref with direction "write"')
    const writer = this
    this.chunks = {
      next: (chunk) => this.write(chunk),
      error: (error: unknown) => this.abort(error),
      complete: () => this.close(),
      get saturated() {
        return writer.saturated
      },
      drain$: this.drain.asObservable(),
      closed$: this.closed.asObservable(),
    }
    this.messages = {
      next: (message) => this.sendMessage(message),
      error: (error: unknown) => this.abort(error),
      complete: () => undefined,
    }
  }

  /** Completes when the end has reached the engine; errors if the channel failed. */
  get closed$(): Observable<void> {
    return this.closed.asObservable()
  }

  /**
   * True while more than the high-water mark is queued or in flight, and once the writer no
   * longer takes data (ended, failed, or its socket closing), so producers stop offering it.
   */
  get saturated(): boolean {
    return !this.accepting() || this.bufferedBytes > HIGH_WATER_BYTES
  }

  get bufferedBytes(): number {
    return this.pendingBytes + (this.socket?.bufferedBytes ?? 0)
  }

  /** Writes binary data, split into frames of at most 64 KiB. */
  write(chunk: Uint8Array): void {
    if (!this.accepting()) return
    for (let offset = 0; offset < chunk.length; offset += FRAME_SIZE) {
      this.enqueue(chunk.subarray(offset, offset + FRAME_SIZE))
    }
  }

  /** Sends a text message, in order with the binary data around it. */
  sendMessage(message: string): void {
    if (this.accepting()) this.enqueue(message)
  }

  /** Ends the stream cleanly after everything written so far. */
  close(): void {
    if (this.ending || this.failure) return
    this.ending = { clean: true }
    this.connect()
    this.endIfReady()
  }

  /** Ends the stream with an error: the reader's streams fail with `writer_aborted`. */
  abort(reason?: unknown): void {
    if (this.ending || this.failure) return
    const message = reason === undefined ? 'aborted' : messageOf(reason)
    this.ending = { clean: false, error: new ChannelError('writer_aborted', `writer aborted: ${message}`, { cause: reason }) }
    this.pending.length = 0
    this.pendingBytes = 0
    this.connect()
    this.endIfReady()
  }

  /** A writer placed in a payload travels as its ref. */
  toJSON(): StreamChannelRef {
    return this.ref
  }

  private accepting(): boolean {
    return this.ending === undefined && this.failure === undefined && (this.socket === undefined || this.socket.open)
  }

  private enqueue(data: WireData): void {
    this.connect()
    if (this.socket) {
      this.socket.send(data)
    } else {
      // Not connected yet: keep a copy, since the caller may reuse its buffer once we return.
      this.pending.push(typeof data === 'string' ? data : new Uint8Array(data))
      this.pendingBytes += typeof data === 'string' ? utf8Length(data) : data.length
    }
    this.buffered.update(this.saturated, false)
  }

  private connect(): void {
    if (this.connection) return
    this.connection = connectChannelEnd(this.ref, this.options, this.transport, {
      opened: (socket, connection) => {
        this.socket = socket
        connection.add(socket.written$.subscribe(() => this.onWritten()))
      },
      attached: () => this.sendPending(),
      closed: (error) => this.onSocketClosed(error),
      refused: (error) => this.fail(error),
    })
  }

  /** Sends what was written before the socket opened, then the end if it has come. */
  private sendPending(): void {
    const socket = this.socket as WireSocket
    for (const data of this.pending) socket.send(data)
    this.pending.length = 0
    this.pendingBytes = 0
    this.endIfReady()
  }

  private endIfReady(): void {
    const socket = this.socket
    if (!socket || !this.ending) return
    if (this.ending.clean) socket.close(CloseCode.Normal, 'end')
    else socket.close(CloseCode.WriterAborted, this.ending.error.message)
  }

  private onWritten(): void {
    if (this.buffered.update(false, this.bufferedBytes <= LOW_WATER_BYTES) === 'low') this.drain.next()
  }

  private onSocketClosed(error?: ChannelError): void {
    if (this.ending?.clean === false) this.fail(this.ending.error)
    else if (error !== undefined) this.fail(error)
    else if (this.ending?.clean) this.succeed()
    else this.fail(new ChannelError('channel_closed', 'the engine closed the channel before the writer ended it'))
  }

  private succeed(): void {
    this.connection?.unsubscribe()
    this.closed.next()
    this.closed.complete()
    this.drain.complete()
  }

  private fail(error: ChannelError): void {
    if (this.failure) return
    this.failure = error
    this.pending.length = 0
    this.pendingBytes = 0
    this.connection?.unsubscribe()
    this.socket?.close(CloseCode.WriterAborted, error.message)
    this.closed.error(error)
    this.drain.complete()
  }
}
