import type { Socket } from 'net'
import { Subscription } from 'rxjs'
import WebSocket from 'ws'
import { messageOf } from '../errors'
import { CloseCode } from '../protocol/close-codes'
import { closeSocket } from '../socket/close'
import type { Frame } from '../socket/frame'
import { socketFrames, SocketClosedError } from '../socket/frames'
import { FrameSender } from '../socket/sender'
import type { ChannelHeartbeat } from './channel-heartbeat'

/** What every proxied end of one node shares. */
export interface ProxyContext {
  readonly heartbeat: ChannelHeartbeat
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
 * reason. What is in flight to either side is bounded by `maxBytes`: past it the other side's
 * socket is paused, so TCP backpressure reaches the sender across the hop. The home node's
 * own heartbeat judges this node's socket; see {@link keepHomeAlive}.
 */
export class ChannelProxy {
  private readonly toHome: FrameSender
  private readonly toClient: FrameSender
  private readonly subscriptions = new Subscription()
  private closed = 0

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
    const fromClient: Leg = { source: client, sink: this.toHome }
    const fromHome: Leg = { source: home, sink: this.toClient }
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
    this.subscriptions.add(leg.sink.written$.subscribe(() => this.resumeIfDrained(leg)))
  }

  private relay({ source, sink }: Leg, frame: Frame): void {
    if (!sink.open) return
    sink.next(frame)
    if (sink.inflightBytes >= this.context.maxBytes && !source.isPaused) source.pause()
  }

  private resumeIfDrained({ source, sink }: Leg): void {
    if (source.isPaused && source.readyState === WebSocket.OPEN && sink.inflightBytes <= this.context.maxBytes / 2) source.resume()
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
