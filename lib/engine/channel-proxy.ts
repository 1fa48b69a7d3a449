import type { Socket } from 'net'
import { randomUUID } from 'crypto'
import { Subscription } from 'rxjs'
import WebSocket from 'ws'
import { messageOf } from '../errors'
import { CloseCode } from '../protocol/close-codes'
import { closeSocket } from '../socket/close'
import type { Frame } from '../socket/frame'
import { socketFrames, SocketClosedError } from '../socket/frames'
import { FrameSender } from '../socket/sender'
import type { ChannelHeartbeat } from './channel-heartbeat'
import type { BudgetWaiter, HeldBytesBudget } from './held-bytes'

/** What every proxied end of one node shares. */
export interface ProxyContext {
  readonly heartbeat: ChannelHeartbeat
  /** The engine-wide budget (`maxHeldBytes`), shared with the channels this node holds. */
  readonly budget: HeldBytesBudget
  /** Bytes held in each direction before the sending side is no longer read (`maxProxyBytesPerEnd`). */
  readonly maxBytes: number
}

/** One side of a proxied end: frames from `source` go out through `sink`. */
interface Leg {
  readonly source: WebSocket
  readonly sink: FrameSender
}

/**
 * One channel end whose socket reached this node while the channel lives on another: the
 * client's socket is piped to the home node's channel socket for the same end, frames both
 * ways with their kind and order, and each side's close is passed on with its code and
 * reason. What is in flight to either side is bounded by `maxBytes`, and counts against the
 * engine-wide budget: past either the sending side's socket is paused, so TCP backpressure
 * reaches the sender across the hop. The home node's
 * own heartbeat judges this node's socket; see {@link keepHomeAlive}.
 */
export class ChannelProxy implements BudgetWaiter {
  private readonly toHome: FrameSender
  private readonly toClient: FrameSender
  private readonly legs: readonly Leg[]
  private readonly subscriptions = new Subscription()
  private closed = 0
  /** Held bytes as last counted in the shared budget. */
  private countedBytes = 0
  /** This end's key in the shared budget; its per-worker limit is far above what one end holds. */
  private readonly budgetKey: string

  constructor(
    readonly channelId: string,
    readonly homeId: string,
    private readonly client: WebSocket,
    clientSocket: Socket,
    private readonly home: WebSocket,
    private readonly context: ProxyContext,
    private readonly onFinished: () => void,
  ) {
    this.toHome = new FrameSender(home)
    this.toClient = new FrameSender(client)
    this.budgetKey = `proxied end ${randomUUID()}`
    const fromClient: Leg = { source: client, sink: this.toHome }
    const fromHome: Leg = { source: home, sink: this.toClient }
    this.legs = [fromClient, fromHome]
    this.pipe(fromClient, (error) => this.onClientClosed(error))
    this.pipe(fromHome, (error) => this.onHomeClosed(error))
    context.heartbeat.watch(client, clientSocket, () => home.terminate(), () => this.toClient.writtenBytes)
  }

  /** Bytes passed on so far: taken by the home node, and by the client. */
  get relayedBytes(): { readonly toHome: number; readonly toClient: number } {
    return { toHome: this.toHome.writtenBytes, toClient: this.toClient.writtenBytes }
  }

  /** Bytes this node holds for the end right now, both directions. */
  get heldBytes(): number {
    return this.toHome.inflightBytes + this.toClient.inflightBytes
  }

  /**
   * Shows the home node this end is alive while the client is: the home's heartbeat drops a
   * socket that neither sends nor takes a byte, and a socket this node paused for a slow
   * client takes nothing. The client's own liveness is judged here, by this node's heartbeat.
   */
  keepHomeAlive(): void {
    if (this.home.readyState === WebSocket.OPEN) this.home.ping()
  }

  /** The home node left the cluster: the client errors, never sees a clean end. */
  homeLost(): void {
    closeSocket(this.client, CloseCode.WriterAborted, `channel home node ${this.homeId} lost`)
    this.home.terminate()
  }

  close(code: number, reason: string): void {
    closeSocket(this.client, code, reason)
    closeSocket(this.home, code, reason)
  }

  /** The shared budget freed up: resumes what it held back. */
  pace(): void {
    for (const leg of this.legs) this.resumeIfDrained(leg)
    if (!this.legs.some((leg) => leg.source.isPaused)) this.context.budget.stopWaiting(this)
  }

  /** Drops both connections without a closing handshake. */
  terminate(): void {
    this.client.terminate()
    this.home.terminate()
  }

  private pipe(leg: Leg, onClose: (error?: SocketClosedError) => void): void {
    this.subscriptions.add(
      socketFrames(leg.source).subscribe({
        next: (frame) => this.relay(leg, frame),
        complete: () => this.sideClosed(onClose),
        error: (error: unknown) => this.sideClosed(() => onClose(asClosed(error))),
      }),
    )
    this.subscriptions.add(
      leg.sink.written$.subscribe(() => {
        this.countHeldBytes()
        this.resumeIfDrained(leg)
      }),
    )
  }

  private relay({ source, sink }: Leg, frame: Frame): void {
    if (!sink.open) return
    sink.next(frame)
    this.countHeldBytes()
    if (source.isPaused || (sink.inflightBytes < this.context.maxBytes && !this.context.budget.isFull(this.budgetKey))) return
    source.pause()
    this.context.budget.wait(this)
  }

  private resumeIfDrained({ source, sink }: Leg): void {
    const drained = sink.inflightBytes <= this.context.maxBytes / 2 && !this.context.budget.isFull(this.budgetKey)
    if (source.isPaused && source.readyState === WebSocket.OPEN && drained) source.resume()
  }

  /** Brings the shared budget up to date with what this end holds (nothing once finished). */
  private countHeldBytes(): void {
    const held = this.closed === 2 ? 0 : this.heldBytes
    const delta = held - this.countedBytes
    this.countedBytes = held
    this.context.budget.add(this.budgetKey, delta)
  }

  /** The client closed or dropped: the home node is told the same way, so it ends the channel as it would for a direct end. */
  private onClientClosed(error?: SocketClosedError): void {
    if (!error) closeSocket(this.home, CloseCode.Normal, 'end')
    else if (error.closeCode === CloseCode.Abnormal) this.home.terminate()
    else closeSocket(this.home, sendable(error.closeCode), error.reason)
  }

  /** The home node closed the end: its code and reason reach the client, after every frame before them. A lost home is an error, never an end. */
  private onHomeClosed(error?: SocketClosedError): void {
    if (!error) closeSocket(this.client, CloseCode.Normal, 'end')
    else if (error.closeCode === CloseCode.Abnormal) closeSocket(this.client, CloseCode.WriterAborted, `channel home node ${this.homeId} lost`)
    else closeSocket(this.client, sendable(error.closeCode), error.reason)
  }

  private sideClosed(passOn: () => void): void {
    passOn()
    if (++this.closed < 2) return
    this.subscriptions.unsubscribe()
    this.context.budget.stopWaiting(this)
    this.countHeldBytes()
    this.onFinished()
  }
}

function asClosed(error: unknown): SocketClosedError {
  return error instanceof SocketClosedError ? error : new SocketClosedError(CloseCode.WriterAborted, messageOf(error), error)
}

/** Codes a peer may receive but not send (RFC 6455 7.4.1) are passed on as an abort. */
function sendable(code: number): number {
  return code === CloseCode.NoStatus || code === CloseCode.Abnormal || code === 1015 ? CloseCode.WriterAborted : code
}
