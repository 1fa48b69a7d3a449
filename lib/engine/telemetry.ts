import type WebSocket from 'ws'
import type { Logger } from '../log'
import { CloseCode } from '../protocol/close-codes'
import { closeSocket } from '../socket/close'
import { toBuffer } from '../socket/frames'
import { sweepInterval } from './sweep-interval'

interface TelemetrySocket {
  lastMessageAt: number
  answeredPing: boolean
  closeSent: boolean
}

/** Where `/otel` frames go when the engine forwards them to an OTLP collector (see otlp/otlp-forwarder.ts). */
export interface TelemetrySink {
  accept(frame: Buffer): void
}

/**
 * The `/otel` sockets of official clients, whose frames go to `sink` if the engine has one
 * (`otlpEndpoint`), or are dropped (protocol section 5). Since the client reconnects and a
 * socket holds nothing, one that sends nothing for `idleMs` is closed, and one that does not answer a ping, or the close, within a sweep is
 * cut: none may hold a descriptor forever. One timer for every socket (see {@link sweepInterval}).
 */
export class TelemetrySockets {
  private readonly sockets = new Map<WebSocket, TelemetrySocket>()
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly idleMs: number,
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly sink?: TelemetrySink,
  ) {
    this.timer = setInterval(() => this.sweep(), sweepInterval(idleMs))
    this.timer.unref()
  }

  add(ws: WebSocket): void {
    const state: TelemetrySocket = { lastMessageAt: this.now(), answeredPing: true, closeSent: false }
    this.sockets.set(ws, state)
    ws.on('message', (data) => {
      state.lastMessageAt = this.now()
      this.sink?.accept(toBuffer(data))
    })
    ws.on('pong', () => (state.answeredPing = true))
    ws.on('close', () => this.sockets.delete(ws))
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private sweep(): void {
    for (const [ws, state] of this.sockets) {
      if (state.closeSent) {
        ws.terminate()
      } else if (!state.answeredPing) {
        this.logger.debug('telemetry socket did not answer a ping; dropping it')
        ws.terminate()
      } else if (this.now() - state.lastMessageAt >= this.idleMs) {
        closeSocket(ws, CloseCode.Normal, `telemetry socket idle for ${this.idleMs} ms (telemetryIdleMs)`)
        state.closeSent = true
      } else {
        state.answeredPing = false
        ws.ping()
      }
    }
  }
}
