import { randomBytes, randomUUID } from 'crypto'
import type { Duplex } from 'stream'
import WebSocket from 'ws'
import type { EngineToWorker, RegisterFunction } from '../protocol/messages'
import { CoalescingSender } from '../socket/coalescing-sender'

/** One connected worker: its socket, identity, functions and reported metadata. */
export class WorkerConnection {
  readonly id = randomUUID()
  readonly reattachToken = randomBytes(24).toString('base64url')
  readonly connectedAt = new Date()
  readonly functions = new Map<string, RegisterFunction>()
  metadata: unknown = undefined
  alive = true
  private readonly sender: CoalescingSender

  /** `socket` is the connection under `ws`, as handed to the upgrade. */
  constructor(
    readonly ws: WebSocket,
    socket: Duplex,
  ) {
    this.sender = new CoalescingSender(ws, socket)
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  send(message: EngineToWorker): void {
    this.sendRaw(JSON.stringify(message))
  }

  /**
   * Sends a message that carries client-supplied values (an engine function's result); false
   * if it cannot be serialized, such as metadata nested too deep for `JSON.stringify`.
   */
  trySend(message: EngineToWorker): boolean {
    let text: string
    try {
      text = JSON.stringify(message)
    } catch {
      return false
    }
    this.sendRaw(text)
    return true
  }

  /** Forwards a frame exactly as another worker sent it. */
  sendRaw(text: string): void {
    if (this.open) this.sender.send(text)
  }
}
