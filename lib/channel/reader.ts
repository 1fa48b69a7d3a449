import { lastValueFrom, map, Observable, toArray, type Subscription } from 'rxjs'
import { ChannelError } from '../errors'
import type { Flow } from '../flow/flow'
import { fromPausable } from '../flow/from-pausable'
import { WaterMarks } from '../flow/water-marks'
import { CloseCode } from '../protocol/close-codes'
import { concatBytes, utf8Length } from '../protocol/bytes'
import { CREDIT_SUBPROTOCOL } from '../protocol/credit'
import type { StreamChannelRef } from '../protocol/refs'
import type { ConnectOptions } from '../socket/connect'
import type { Transport, WireSocket } from '../socket/wire'
import { connectChannelEnd } from './connect-end'
import { channelErrorFrom } from './close-error'
import { Inbox } from './inbox'
import type { KeepAliveOptions } from './keep-alive'

export interface ChannelEndOptions {
  /** The engine's worker address, e.g. `ws://127.0.0.1:49134`. */
  readonly engineUrl: string
  /** Node: how sockets are opened (TLS, headers); a browser has no such settings. */
  readonly connect?: ConnectOptions
  /** Reader: UTF-8 bytes of text messages kept unread before it stops reading its socket (default 1 MiB). */
  readonly maxUnreadMessageBytes?: number
  /**
   * Reader: how long its socket may stay paused for a stream nothing reads while the other
   * stream has a subscriber waiting, before both fail with `unread_backlog` (default 10 s).
   */
  readonly unreadBacklogGraceMs?: number
  /** Pings from this end, and how long the engine may show no progress. */
  readonly keepAlive?: KeepAliveOptions
  /** Reader: ask the engine for credit mode rather than pausing the socket (see `WorkerOptions.channelReaderCredit`). */
  readonly readerCredit?: boolean
}

/** Chunks kept unread before the reader stops reading its socket. */
const HIGH_WATER_FRAMES = 16
const LOW_WATER_FRAMES = 4
const DEFAULT_MAX_UNREAD_MESSAGE_BYTES = 1024 * 1024
const DEFAULT_UNREAD_BACKLOG_GRACE_MS = 10_000

/**
 * The read end of a channel. `chunks$` (binary data) and `messages$` (text side messages)
 * are the core; `onMessage` and `readAll` are built on them, and the Node `stream` (see
 * lib/node/channel-ends.ts, which keeps Node out of this layer). The socket opens on
 * the first subscription to either stream, is paused while unread chunks pile up, and is
 * released when every subscriber has left. A clean end completes both streams; an aborted
 * writer, a lost connection or a refused key makes both error with a {@link ChannelError}.
 *
 * Chunks and messages share one socket, so a stream that nothing reads holds back the other
 * once its backlog is full (16 chunks, or `maxUnreadMessageBytes` of messages). Rather than
 * wait forever, the reader then fails both streams with `unread_backlog` after
 * `unreadBacklogGraceMs`, unless a subscriber for the full stream arrives in time.
 */
export class ChannelReader {
  /** Binary chunks in order; completes on a clean end, errors on an abort. */
  readonly chunks$: Observable<Uint8Array>
  /** Text messages in order; ends with `chunks$`. */
  readonly messages$: Observable<string>
  /**
   * The chunks on demand: `reader.flow.pull(demand$)` delivers no more chunks than requested.
   * While nothing is requested the reader reads ahead at most 16 frames, then stops reading
   * its socket, so the engine and in turn the writer are held back.
   */
  readonly flow: Flow<Uint8Array>

  private readonly chunkInbox: Inbox<Uint8Array>
  private readonly messageInbox: Inbox<string>
  private socket?: WireSocket
  private connection?: Subscription
  /** High while the socket is paused for unread chunks or messages. */
  private readonly unread = new WaterMarks()
  private stallTimer?: NodeJS.Timeout
  private ended = false
  /** In credit mode: frames granted to the engine and not received yet. */
  private creditOutstanding?: number

  constructor(
    readonly ref: StreamChannelRef,
    private readonly options: ChannelEndOptions,
    private readonly transport: Transport,
  ) {
    if (ref.direction !== 'read') throw new ChannelError('channel_refused', 'a ChannelReader needs a ref with direction "read"')
    const hooks = {
      onDemand: () => this.connect(),
      onAbandoned: () => this.releaseIfAbandoned(),
      onBacklog: () => this.pace(),
    }
    this.chunkInbox = new Inbox<Uint8Array>(hooks, (chunk) => chunk.length)
    this.messageInbox = new Inbox<string>(hooks, utf8Length)
    this.chunks$ = this.chunkInbox.values$
    this.messages$ = this.messageInbox.values$
    this.flow = fromPausable(this.chunkInbox)
  }

  /** Calls `callback` for each text message; returns a function that stops it. */
  onMessage(callback: (message: string) => void, onError?: (error: ChannelError) => void): () => void {
    const subscription = this.messages$.subscribe({
      next: callback,
      error: (error: unknown) => onError?.(channelErrorFrom(error)),
    })
    return () => subscription.unsubscribe()
  }

  /** Every chunk until the end, concatenated; rejects if the stream does not end cleanly. */
  readAll(): Promise<Uint8Array> {
    return lastValueFrom(this.chunks$.pipe(toArray(), map(concatBytes)))
  }

  /** Stops reading: the writer learns that the reader has gone; both streams complete. */
  close(): void {
    this.stop('reader closed')
  }

  /** A reader placed in a payload travels as its ref. */
  toJSON(): StreamChannelRef {
    return this.ref
  }

  private connect(): void {
    if (this.connection || this.ended) return
    this.connection = connectChannelEnd(this.ref, this.options, this.transport, {
      protocols: this.options.readerCredit ? [CREDIT_SUBPROTOCOL] : undefined,
      opened: (socket) => {
        this.socket = socket
        if (socket.protocol === CREDIT_SUBPROTOCOL) this.creditOutstanding = 0
      },
      frame: (data) => {
        if (this.creditOutstanding !== undefined) this.creditOutstanding--
        if (typeof data === 'string') this.messageInbox.push(data)
        else this.chunkInbox.push(data)
        // A frame handed straight to a subscriber is no backlog change, yet it used a credit.
        if (this.creditOutstanding !== undefined) this.pace()
      },
      attached: () => this.pace(),
      closed: (error) => this.finish(error),
      refused: (error) => this.finish(error),
    })
  }

  private stop(reason: string, error?: ChannelError): void {
    this.finish(error)
    this.connection?.unsubscribe()
    this.socket?.close(CloseCode.Normal, reason)
  }

  private get maxUnreadMessageBytes(): number {
    return this.options.maxUnreadMessageBytes ?? DEFAULT_MAX_UNREAD_MESSAGE_BYTES
  }

  private pace(): void {
    const socket = this.socket
    if (!socket?.open) return
    const chunkBacklog = this.chunkInbox.backlogLength
    const messageBytes = this.messageInbox.backlogBytes
    const turned = this.unread.update(
      chunkBacklog >= HIGH_WATER_FRAMES || messageBytes >= this.maxUnreadMessageBytes,
      chunkBacklog <= LOW_WATER_FRAMES && messageBytes <= this.maxUnreadMessageBytes >> 2,
    )
    if (this.creditOutstanding !== undefined) this.grantCredit(socket, chunkBacklog)
    else if (turned === 'high') socket.pause()
    else if (turned === 'low') socket.resume()
    this.watchForStall()
  }

  /**
   * Credit mode: keeps what is unread plus what is granted within the read-ahead, granting in
   * batches of at least half of it (one small message per half window, not one per frame).
   */
  private grantCredit(socket: WireSocket, chunkBacklog: number): void {
    const outstanding = this.creditOutstanding ?? 0
    const room = HIGH_WATER_FRAMES - chunkBacklog - outstanding
    if (this.unread.high || room < HIGH_WATER_FRAMES / 2) return
    this.creditOutstanding = outstanding + room
    socket.send(JSON.stringify({ type: 'credit', frames: room }))
  }

  /** What holds the socket paused with nothing subscribed to read it, if anything. */
  private unreadBacklog(): string | undefined {
    if (!this.unread.high) return undefined
    if (this.chunkInbox.backlogLength >= HIGH_WATER_FRAMES && this.chunkInbox.subscriberCount === 0) {
      return `${this.chunkInbox.backlogLength} binary chunks arrived that nothing reads (subscribe to chunks$, flow or stream)`
    }
    if (this.messageInbox.backlogBytes >= this.maxUnreadMessageBytes && this.messageInbox.subscriberCount === 0) {
      return `${this.messageInbox.backlogBytes} bytes of text messages arrived that nothing reads (subscribe to messages$ or onMessage)`
    }
    return undefined
  }

  /** Starts the grace period while an unread backlog holds the socket paused; ends it otherwise. */
  private watchForStall(): void {
    if (this.unreadBacklog() === undefined) {
      clearTimeout(this.stallTimer)
      this.stallTimer = undefined
      return
    }
    const graceMs = this.options.unreadBacklogGraceMs ?? DEFAULT_UNREAD_BACKLOG_GRACE_MS
    this.stallTimer ??= setTimeout(() => {
      this.stallTimer = undefined
      // A subscriber may have come without draining the backlog (a flow with no demand yet).
      const backlog = this.unreadBacklog()
      if (backlog === undefined) return
      this.stop('reader stopped: unread backlog', new ChannelError('unread_backlog', `${backlog}; the reader stopped after ${graceMs} ms instead of waiting forever`))
    }, graceMs)
  }

  private releaseIfAbandoned(): void {
    if (this.chunkInbox.subscriberCount === 0 && this.messageInbox.subscriberCount === 0) this.close()
  }

  private finish(error?: ChannelError): void {
    if (this.ended) return
    this.ended = true
    clearTimeout(this.stallTimer)
    this.chunkInbox.end(error)
    this.messageInbox.end(error)
  }
}
