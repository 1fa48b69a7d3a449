import type { Socket } from 'net'
import * as E from 'fp-ts/Either'
import { Subscription, type Observer } from 'rxjs'
import type WebSocket from 'ws'
import { messageOf } from '../errors'
import { WaterMarks } from '../flow/water-marks'
import { CloseCode } from '../protocol/close-codes'
import type { ChannelDirection } from '../protocol/refs'
import { closeSocket } from '../socket/close'
import { binaryFrame, type Frame } from '../socket/frame'
import { takeBinaryFrames } from '../socket/binary-frame-intake'
import { socketFrames, SocketClosedError } from '../socket/frames'
import { FrameSender } from '../socket/sender'
import { logsAt, type Logger } from '../log'
import type { ChannelHeartbeat } from './channel-heartbeat'
import { logChannelEnd, type ChannelCreator, type ChannelEnding, type Relayed } from './channel-log'
import type { EngineEvent } from './events'
import type { BudgetWaiter, HeldBytesBudget } from './held-bytes'
import { shortId } from './log-words'
import { grantCredit, initialCredit, UNLIMITED_CREDIT } from './reader-credit'

type WriterEnd =
  | { readonly clean: true }
  | { readonly clean: false; readonly outcome: 'aborted' | 'dropped'; readonly code: number; readonly reason: string }

/** The worker that created a channel: its held bytes count against it, log lines and listings name it. */
export type ChannelOwner = ChannelCreator & { readonly id: string; readonly name?: string }

/** Where a channel end's socket came from: its address, and the node that proxied it here, if one did (as its upgrade named it). */
export interface EndPeer {
  readonly address: string
  readonly proxiedBy?: string
}

/** Where a channel stands: its ends not both connected yet, both connected, or only delivery left after the writer's end. */
export type ChannelState = 'waiting' | 'open' | 'draining'

/** A binary frame from the writer as views of its socket's reads, `length` bytes in all (see takeBinaryFrames). */
interface FramePieces {
  readonly pieces: readonly Buffer[]
  readonly length: number
}

/**
 * A frame held for the reader: as ws gave it, or in pieces, written as they are where the
 * reader's socket allows. Held pieces keep their reads' buffers alive, as ws's own views of
 * small frames do: next to frames held in a row those are mostly the same bytes.
 */
type HeldFrame = Frame | FramePieces

const heldLength = (frame: HeldFrame) => ('pieces' in frame ? frame.length : frame.data.length)

/** What every relay of one engine shares. */
export interface RelayContext {
  readonly logger: Logger
  readonly events: Observer<EngineEvent>
  readonly budget: HeldBytesBudget
  readonly heartbeat: ChannelHeartbeat
  readonly maxHeldBytesPerChannel: number
  readonly now: () => number
}

/**
 * Connects the writer socket of one channel to its reader socket. The writer's frames are an
 * Observable; the reader's socket is a {@link FrameSender}. Frames are held (queued here plus
 * in flight to the reader) up to `bufferSize` frames and `maxHeldBytesPerChannel` bytes, and
 * while the engine-wide or the creating worker's byte budget has room; beyond that the
 * writer's socket is paused, so TCP backpressure reaches the writer. A reader in credit mode
 * is sent a frame only against credit it granted; frames waiting for credit are held like
 * any others, so a reader that grants slowly holds back the writer. Either end may connect
 * first. After the writer's end the channel lasts until the reader's socket has closed, since
 * its last frames are on their way until then.
 */
export class ChannelRelay implements BudgetWaiter {
  private readonly backlog: HeldFrame[] = []
  private backlogBytes = 0
  private writer?: { ws: WebSocket; frames: Subscription }
  /** `credit`: frames the reader may be sent now; unlimited unless it negotiated credit mode. */
  private reader?: { ws: WebSocket; sender: FrameSender; subscriptions: Subscription; credit: number }
  private writerEnd?: WriterEnd
  private readerEnded = false
  /** High while the writer's socket is paused for what this channel holds or the budgets' room. */
  private readonly held = new WaterMarks()
  private finished = false
  private writerSeen = false
  private readerSeen = false
  /** Held bytes as last counted in the shared budget. */
  private countedBytes = 0
  /** What went through: counted per frame as numbers only, told once when the channel ends. */
  private readonly relayed = { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0 }
  readonly createdAt: number
  private readonly ownerWorkerId: string
  /** When the current pause of the writer began, if it is paused; with `pausedMsBefore`, the time it spent paused. */
  private pausedSince?: number
  private pausedMsBefore = 0
  /** Where each end's socket came from, once it connected: for listings. */
  readonly peers: { [direction in ChannelDirection]?: EndPeer } = {}

  constructor(
    readonly channelId: string,
    private readonly bufferSize: number,
    private readonly creator: ChannelOwner,
    private readonly context: RelayContext,
    private readonly onFinished: () => void,
  ) {
    this.createdAt = context.now()
    this.ownerWorkerId = creator.id
  }

  /** Frames held by the engine for this channel right now. */
  get heldFrames(): number {
    return this.backlog.length + (this.reader?.sender.inflightFrames ?? 0)
  }

  /** Bytes held by the engine for this channel right now. */
  get heldBytes(): number {
    return this.backlogBytes + (this.reader?.sender.inflightBytes ?? 0)
  }

  get state(): ChannelState {
    if (this.writerEnd !== undefined) return 'draining'
    return this.connectedOnBothEnds ? 'open' : 'waiting'
  }

  get owner(): ChannelOwner {
    return this.creator
  }

  /** The frames this channel may hold, as granted at creation. */
  get bufferFrames(): number {
    return this.bufferSize
  }

  /** Whether the writer's socket is not read now, for what this channel holds or the budgets' room. */
  get writerPaused(): boolean {
    return this.pausedSince !== undefined
  }

  /** Time the writer spent paused so far, its current pause included. */
  get pausedMs(): number {
    return this.pausedMsBefore + (this.pausedSince === undefined ? 0 : this.context.now() - this.pausedSince)
  }

  /** Frames and bytes taken from the writer and sent to the reader so far. */
  get relayedSoFar(): Relayed {
    return { ...this.relayed }
  }

  /** Whether a socket holds the end in `direction` now. */
  connected(direction: ChannelDirection): boolean {
    const ws = direction === 'write' ? this.writer?.ws : this.reader?.ws
    return ws !== undefined && ws.readyState === ws.OPEN
  }

  /** Whether each end has connected at some point; channels that never were are swept after the TTL. */
  get connectedOnBothEnds(): boolean {
    return this.writerSeen && this.readerSeen
  }

  /**
   * The writer ended cleanly and its reader is connected: only delivery is left (frames a
   * credit-mode reader has not granted credit for yet included).
   */
  get draining(): boolean {
    return this.writerEnd?.clean === true && (this.readerEnded || this.reader !== undefined)
  }

  isTaken(direction: ChannelDirection): boolean {
    return direction === 'write' ? this.writer !== undefined || this.writerEnd !== undefined : this.reader !== undefined
  }

  /** `socket` is the connection under `ws`, as handed to the upgrade. */
  attachWriter(ws: WebSocket, socket: Socket): void {
    const frames = socketFrames(ws).subscribe({
      next: (frame) => this.onWriterFrame(frame),
      complete: () => this.onWriterEnd({ clean: true }),
      error: (error: unknown) =>
        this.onWriterEnd({ clean: false, outcome: lost(error) ? 'dropped' : 'aborted', code: CloseCode.WriterAborted, reason: writerAbortReason(error) }),
    })
    // Whole binary frames skip ws's parser and its copy of each frame; see takeBinaryFrames.
    const detach = takeBinaryFrames(ws, (pieces, length) => this.onWriterFrame({ pieces, length }))
    if (detach) frames.add(detach)
    this.writer = { ws, frames }
    this.writerSeen = true
    // Frames taken before ws parses them raise no 'message' event: the bytes they carried count as progress instead.
    this.context.heartbeat.watch(
      ws,
      socket,
      (reason) => this.onWriterEnd({ clean: false, outcome: 'dropped', code: CloseCode.WriterAborted, reason: `writer dropped: ${reason}` }),
      () => this.relayed.bytesIn,
    )
  }

  /** `socket` is the connection under `ws`, as handed to the upgrade. */
  attachReader(ws: WebSocket, socket: Socket): void {
    const sender = new FrameSender(ws, socket)
    // Not written$'s own subscription: that ends when the socket closes, before socketFrames reports the close.
    const subscriptions = new Subscription()
    subscriptions.add(sender.written$.subscribe(() => this.pump()))
    // A reader sends no data, only credit in credit mode; other readers' frames are ignored. Its close means it has gone away.
    subscriptions.add(
      socketFrames(ws).subscribe({
        next: (frame) => this.onReaderFrame(frame),
        complete: () => this.onReaderGone('reader closed the channel', 'reader gone'),
        error: (error: unknown) => this.onReaderGone(`reader disconnected: ${messageOf(error)}`, lost(error) ? 'dropped' : 'reader gone'),
      }),
    )
    this.reader = { ws, sender, subscriptions, credit: initialCredit(ws.protocol) }
    this.readerSeen = true
    this.context.heartbeat.watch(ws, socket, (reason) => this.onReaderGone(`reader dropped: ${reason}`, 'dropped'), () => sender.writtenBytes)
    this.pump()
  }

  /** Closes both ends with `code`: used when the engine shuts down or the channel is dropped. */
  abort(code: number, reason: string): void {
    this.end({ outcome: 'aborted', code, reason })
  }

  /** Ends a channel whose ends did not both connect within `ttlMs`: a connected end is closed with 4408. */
  expire(ttlMs: number): void {
    const missing = this.writerSeen ? 'the reader never' : this.readerSeen ? 'the writer never' : 'neither end'
    const reason = `channel expired: ${missing} connected within ${ttlMs} ms`
    this.context.events.next({ type: 'channel_expired', channel_id: this.channelId, reason })
    this.end({ outcome: 'expired', code: CloseCode.Expired, reason })
  }

  /** Pauses or resumes the writer from what this channel holds and the shared budgets' room. */
  pace(): void {
    const ws = this.writer?.ws
    if (!ws || this.writerEnd || this.finished) return
    const frames = this.heldFrames
    const bytes = this.heldBytes
    const sharedFull = this.context.budget.isFull(this.ownerWorkerId)
    const perChannel = this.context.maxHeldBytesPerChannel
    const turned = this.held.update(
      frames >= this.bufferSize || bytes >= perChannel || sharedFull,
      frames <= this.bufferSize >> 1 && bytes <= perChannel / 2 && !sharedFull,
    )
    if (turned === 'high') {
      this.pausedSince = this.context.now()
      ws.pause()
      this.context.budget.wait(this)
      this.context.events.next({ type: 'writer_paused', channel_id: this.channelId, held_frames: frames, held_bytes: bytes })
    } else if (turned === 'low') {
      this.endPause()
      ws.resume()
      this.context.budget.stopWaiting(this)
      this.context.events.next({ type: 'writer_resumed', channel_id: this.channelId, held_frames: frames, held_bytes: bytes })
    }
  }

  private onWriterFrame(frame: HeldFrame): void {
    const length = heldLength(frame)
    this.backlog.push(frame)
    this.backlogBytes += length
    this.relayed.framesIn++
    this.relayed.bytesIn += length
    this.pump()
  }

  private onWriterEnd(end: WriterEnd): void {
    if (this.writerEnd) return
    this.writerEnd = end
    this.writer?.frames.unsubscribe()
    this.context.budget.stopWaiting(this)
    this.endPause()
    if (!end.clean && logsAt(this.context.logger, 'debug')) {
      this.context.logger.debug(`channel ${shortId(this.channelId)}: ${end.reason}`, { channel_id: this.channelId, reason: end.reason })
    }
    this.pump()
  }

  /** A credit-mode reader's grant; anything else from it breaks the protocol and ends the channel. */
  private onReaderFrame(frame: Frame): void {
    const reader = this.reader
    if (!reader || reader.credit === UNLIMITED_CREDIT || this.readerEnded) return
    const granted = grantCredit(reader.credit, frame)
    if (E.isRight(granted)) {
      reader.credit = granted.right
      this.pump()
      return
    }
    const reason = `credit protocol violation: ${granted.left}`
    closeSocket(reader.ws, CloseCode.PolicyViolation, reason)
    this.onReaderGone(`reader closed: ${reason}`, 'reader gone')
  }

  /** The reader's socket closed: after the writer's end that is how the channel ends; before it, the writer is told the reader has gone. */
  private onReaderGone(reason: string, outcome: 'reader gone' | 'dropped'): void {
    this.reader?.subscriptions.unsubscribe()
    this.dropBacklog()
    const writerEnd = this.readerEnded ? this.writerEnd : undefined
    if (this.writer && this.writerEnd === undefined) {
      this.writer.frames.unsubscribe()
      closeIfOpen(this.writer.ws, CloseCode.ReaderGone, reason)
    }
    if (writerEnd?.clean) this.finish({ outcome: 'clean', code: CloseCode.Normal })
    else if (writerEnd) this.finish({ outcome: writerEnd.outcome, code: writerEnd.code, reason: writerEnd.reason })
    else this.finish({ outcome, code: this.writer ? CloseCode.ReaderGone : undefined, reason })
  }

  /** Closes both ends with `ending.code` and ends the channel. */
  private end(ending: ChannelEnding & { readonly code: number; readonly reason: string }): void {
    this.writer?.frames.unsubscribe()
    this.reader?.subscriptions.unsubscribe()
    closeIfOpen(this.writer?.ws, ending.code, ending.reason)
    closeIfOpen(this.reader?.ws, ending.code, ending.reason)
    this.dropBacklog()
    this.finish(ending)
  }

  /**
   * Moves held frames to the reader as far as its credit goes, sends it the end after the
   * last one (an abort at once: what it would still be owed is lost anyway), and paces the writer.
   */
  private pump(): void {
    const reader = this.reader
    if (reader && reader.sender.open && !this.readerEnded) {
      // Credit for many frames at once releases a burst: it leaves in one write, not one per frame.
      reader.sender.inOneWrite(() => {
        while (this.backlog.length > 0 && reader.credit > 0) {
          const frame = this.backlog.shift() as HeldFrame
          const length = heldLength(frame)
          this.backlogBytes -= length
          this.relayed.framesOut++
          this.relayed.bytesOut += length
          reader.credit--
          send(reader.sender, frame)
        }
      })
      if (this.writerEnd?.clean === false) {
        this.readerEnded = true
        this.dropBacklog()
        reader.sender.close(this.writerEnd.code, this.writerEnd.reason)
      } else if (this.writerEnd?.clean && this.backlog.length === 0) {
        this.readerEnded = true
        reader.sender.complete()
      }
    }
    this.countHeldBytes()
    this.pace()
  }

  /** Brings the shared budget up to date with what this channel holds (nothing once finished). */
  private countHeldBytes(): void {
    const held = this.finished ? 0 : this.heldBytes
    const delta = held - this.countedBytes
    this.countedBytes = held
    this.context.budget.add(this.ownerWorkerId, delta)
  }

  /** A writer that ended (or whose channel did) is no longer paused: its socket is not read anyway. */
  private endPause(): void {
    if (this.pausedSince === undefined) return
    this.pausedMsBefore += this.context.now() - this.pausedSince
    this.pausedSince = undefined
  }

  private dropBacklog(): void {
    this.backlog.length = 0
    this.backlogBytes = 0
  }

  private finish(ending: ChannelEnding): void {
    if (this.finished) return
    this.finished = true
    this.context.budget.stopWaiting(this)
    this.endPause()
    this.countHeldBytes()
    this.onFinished()
    logChannelEnd(this.context.logger, this.channelId, this.creator, ending, this.relayed, this.context.now() - this.createdAt)
    this.context.events.next({ type: 'channel_finished', channel_id: this.channelId })
  }
}

/** Pieces go to the reader's socket as they are where it takes them, else joined into one frame. */
function send(sender: FrameSender, frame: HeldFrame): void {
  if (!('pieces' in frame)) sender.next(frame)
  else if (sender.takesPieces) sender.sendPieces(frame.pieces, frame.length)
  else sender.next(binaryFrame(frame.pieces.length === 1 ? frame.pieces[0] : Buffer.concat(frame.pieces, frame.length)))
}

function writerAbortReason(error: unknown): string {
  if (error instanceof SocketClosedError) {
    if (error.closeCode === CloseCode.Abnormal) return 'writer disconnected mid-stream'
    if (error.closeCode === CloseCode.TooBig) return "writer aborted: it sent a frame over the engine's size limit (maxFrameBytes)"
    return `writer aborted${error.reason ? `: ${error.reason}` : ` (close code ${error.closeCode})`}`
  }
  return `writer failed: ${messageOf(error)}`
}

/** Whether a socket's connection was lost rather than closed by its peer. */
function lost(error: unknown): boolean {
  return error instanceof SocketClosedError && error.closeCode === CloseCode.Abnormal
}

function closeIfOpen(ws: WebSocket | undefined, code: number, reason: string): void {
  if (ws) closeSocket(ws, code, reason)
}
