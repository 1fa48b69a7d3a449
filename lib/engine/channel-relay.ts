import type { Observer, Subscription } from 'rxjs'
import type WebSocket from 'ws'
import { CloseCode } from '../protocol/close-codes'
import type { ChannelDirection } from '../protocol/refs'
import { closeSocket } from '../socket/close'
import type { Frame } from '../socket/frame'
import { socketFrames, SocketClosedError } from '../socket/frames'
import { FrameSender } from '../socket/sender'
import type { Logger } from '../log'
import type { EngineEvent } from './events'

type WriterEnd = { readonly clean: true } | { readonly clean: false; readonly code: number; readonly reason: string }

/**
 * Connects the writer socket of one channel to its reader socket. The writer's frames are an
 * Observable; the reader's socket is a {@link FrameSender}. At most `bufferSize` frames are
 * held (queued here plus in flight to the reader); beyond that the writer's socket is paused,
 * so TCP backpressure reaches the writer. Either end may connect first.
 */
export class ChannelRelay {
  private readonly backlog: Frame[] = []
  private writer?: { ws: WebSocket; frames: Subscription }
  private reader?: { ws: WebSocket; sender: FrameSender; subscriptions: Subscription }
  private writerEnd?: WriterEnd
  private writerPaused = false
  private finished = false
  private writerSeen = false
  private readerSeen = false

  constructor(
    readonly channelId: string,
    private readonly bufferSize: number,
    private readonly logger: Logger,
    private readonly events: Observer<EngineEvent>,
    private readonly onFinished: () => void,
  ) {}

  /** Frames held by the engine for this channel right now. */
  get heldFrames(): number {
    return this.backlog.length + (this.reader?.sender.inflightFrames ?? 0)
  }

  /** Whether each end has connected at some point; channels that never were are swept after the TTL. */
  get connectedOnBothEnds(): boolean {
    return this.writerSeen && this.readerSeen
  }

  isTaken(direction: ChannelDirection): boolean {
    return direction === 'write' ? this.writer !== undefined || this.writerEnd !== undefined : this.reader !== undefined
  }

  attachWriter(ws: WebSocket): void {
    const frames = socketFrames(ws).subscribe({
      next: (frame) => this.onWriterFrame(frame),
      complete: () => this.onWriterEnd({ clean: true }),
      error: (error: unknown) =>
        this.onWriterEnd({ clean: false, code: CloseCode.WriterAborted, reason: writerAbortReason(error) }),
    })
    this.writer = { ws, frames }
    this.writerSeen = true
  }

  attachReader(ws: WebSocket): void {
    const sender = new FrameSender(ws)
    const subscriptions = sender.written$.subscribe(() => this.pump())
    // A reader sends no data; its frames are ignored, its close means it has gone away.
    subscriptions.add(
      socketFrames(ws).subscribe({
        complete: () => this.onReaderGone('reader closed the channel'),
        error: (error: unknown) => this.onReaderGone(`reader disconnected: ${describe(error)}`),
      }),
    )
    this.reader = { ws, sender, subscriptions }
    this.readerSeen = true
    this.pump()
  }

  /** Closes both ends with `code`: used when the engine shuts down or the channel is dropped. */
  abort(code: number, reason: string): void {
    this.writer?.frames.unsubscribe()
    this.reader?.subscriptions.unsubscribe()
    // A paused socket would not read the peer's answer to the close frame.
    if (this.writerPaused) this.writer?.ws.resume()
    closeIfOpen(this.writer?.ws, code, reason)
    closeIfOpen(this.reader?.ws, code, reason)
    this.finish()
  }

  /** Ends a channel whose ends did not both connect within `ttlMs`: a connected end is closed with 4408. */
  expire(ttlMs: number): void {
    const missing = this.writerSeen ? 'the reader never' : this.readerSeen ? 'the writer never' : 'neither end'
    const reason = `channel expired: ${missing} connected within ${ttlMs} ms`
    this.logger.debug(`channel ${this.channelId}: ${reason}`)
    this.events.next({ type: 'channel_expired', channel_id: this.channelId, reason })
    this.abort(CloseCode.Expired, reason)
  }

  private onWriterFrame(frame: Frame): void {
    this.backlog.push(frame)
    this.pump()
  }

  private onWriterEnd(end: WriterEnd): void {
    this.writerEnd = end
    this.writer?.frames.unsubscribe()
    if (!end.clean) this.logger.debug(`channel ${this.channelId}: ${end.reason}`)
    this.pump()
  }

  private onReaderGone(reason: string): void {
    this.reader?.subscriptions.unsubscribe()
    this.backlog.length = 0
    if (this.writer && this.writerEnd === undefined) {
      this.writer.frames.unsubscribe()
      closeIfOpen(this.writer.ws, CloseCode.ReaderGone, reason)
    }
    this.finish()
  }

  /** Moves held frames to the reader, ends it after the last one, and paces the writer. */
  private pump(): void {
    const reader = this.reader
    if (reader && reader.sender.open) {
      while (this.backlog.length > 0) reader.sender.next(this.backlog.shift() as Frame)
      if (this.writerEnd && !this.finished) {
        reader.subscriptions.unsubscribe()
        if (this.writerEnd.clean) reader.sender.complete()
        else reader.sender.close(this.writerEnd.code, this.writerEnd.reason)
        this.finish()
        return
      }
    }
    this.pace()
  }

  private pace(): void {
    const ws = this.writer?.ws
    if (!ws || this.writerEnd) return
    const held = this.heldFrames
    if (!this.writerPaused && held >= this.bufferSize) {
      this.writerPaused = true
      ws.pause()
      this.events.next({ type: 'writer_paused', channel_id: this.channelId, held_frames: held })
    } else if (this.writerPaused && held <= this.bufferSize >> 1) {
      this.writerPaused = false
      ws.resume()
      this.events.next({ type: 'writer_resumed', channel_id: this.channelId, held_frames: held })
    }
  }

  private finish(): void {
    if (this.finished) return
    this.finished = true
    this.onFinished()
    this.events.next({ type: 'channel_finished', channel_id: this.channelId })
  }
}

function writerAbortReason(error: unknown): string {
  if (error instanceof SocketClosedError) {
    if (error.closeCode === CloseCode.Abnormal) return 'writer disconnected mid-stream'
    if (error.closeCode === CloseCode.TooBig) return "writer aborted: it sent a frame over the engine's size limit (maxFrameBytes)"
    return `writer aborted${error.reason ? `: ${error.reason}` : ` (close code ${error.closeCode})`}`
  }
  return `writer failed: ${describe(error)}`
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function closeIfOpen(ws: WebSocket | undefined, code: number, reason: string): void {
  if (ws) closeSocket(ws, code, reason)
}
