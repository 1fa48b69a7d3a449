import { randomBytes, randomUUID } from 'crypto'
import WebSocket from 'ws'
import type { EngineToWorker, RegisterFunction } from '../protocol/messages'

/** One connected worker: its socket, identity, functions and reported metadata. */
export class WorkerConnection {
  readonly id = randomUUID()
  readonly reattachToken = randomBytes(24).toString('base64url')
  readonly connectedAt = new Date()
  readonly functions = new Map<string, RegisterFunction>()
  metadata: unknown = undefined
  alive = true

  constructor(readonly ws: WebSocket) {}

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  send(message: EngineToWorker): void {
    this.sendRaw(JSON.stringify(message))
  }

  /** Forwards a frame exactly as another worker sent it. */
  sendRaw(text: string): void {
    if (this.open) this.ws.send(text)
  }
}
