import { randomBytes, randomUUID } from 'crypto'
import { performance } from 'perf_hooks'
import type { Duplex } from 'stream'
import WebSocket from 'ws'
import { CloseCode } from '../protocol/close-codes'
import type { EngineToWorker, RegisterFunction } from '../protocol/messages'
import { CoalescingSender } from '../socket/coalescing-sender'
import { closeReason } from '../socket/frame'
import type { LogFields } from '../log'
import { ClientWarnings } from './client-warnings'
import { shortId } from './log-words'
import { WorkerBacklog, type BacklogPolicy } from './worker-backlog'

/** One connected worker: its socket, identity, functions and reported metadata. */
export class WorkerConnection {
  readonly id = randomUUID()
  readonly reattachToken = randomBytes(24).toString('base64url')
  readonly connectedAt = new Date()
  readonly functions = new Map<string, RegisterFunction>()
  metadata: unknown = undefined
  /** The name the worker gave in its metadata (`engine::workers::register`), once it has. */
  name?: string
  /** Set by the heartbeat before each ping, cleared by the pong: a worker is alive when it answers pings. */
  alive = true
  /** Why the engine dropped this worker, if it did. */
  dropReason?: string
  /** What this worker has queued and not read; invocations to it are refused while it is backed up. */
  readonly backlog: WorkerBacklog
  /** Warnings this worker's frames cause, each kind logged at most once per window. */
  readonly warnings: ClientWarnings
  private readonly sender: CoalescingSender

  /** `socket` is the connection under `ws`, as handed to the upgrade. */
  constructor(
    readonly ws: WebSocket,
    socket: Duplex,
    private readonly policy: BacklogPolicy,
  ) {
    this.sender = new CoalescingSender(ws, socket)
    this.warnings = new ClientWarnings(policy.logger, () => performance.now())
    this.backlog = new WorkerBacklog(ws, socket, this, policy, (reason) => this.drop(CloseCode.WorkerBackedUp, reason))
    ws.once('close', () => this.backlog.stop())
  }

  /** How log lines name the worker: `sensor-1 (3f2a9c1e)`, or the short id alone before it gave a name. */
  get label(): string {
    return this.name === undefined ? shortId(this.id) : `${this.name} (${shortId(this.id)})`
  }

  /** The worker's identity as fields of a structured log line. */
  get logFields(): LogFields {
    return { worker_id: this.id, worker_name: this.name }
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

  /** Forwards a frame exactly as another worker sent it; a worker whose queue it would take past its hard cap is dropped instead. */
  sendRaw(text: string): void {
    if (!this.open) return
    if (!this.backlog.admits(text)) {
      this.drop(
        CloseCode.WorkerBackedUp,
        `backed up: ${this.backlog.queuedBytes} bytes unread, and the next message would pass ${this.backlog.hardCapBytes} (maxQueuedBytesPerWorker + maxMessageBytes)`,
      )
      return
    }
    this.sender.send(text)
    this.backlog.afterSend()
  }

  /**
   * Closes with `code` and `reason`, then terminates at once: a worker dropped for not reading
   * would never finish the closing handshake, and what is queued for it would be held meanwhile.
   */
  drop(code: number, reason: string): void {
    if (!this.open) return
    this.dropReason = reason
    const refused = this.backlog.refusedInvocations
    this.policy.logger.warn(`worker ${this.label} dropped with ${code}: ${reason}${refused > 0 ? `; ${refused} invocations to it were refused meanwhile` : ''}`, {
      ...this.logFields,
      code,
      reason,
    })
    this.ws.close(code, closeReason(reason))
    this.ws.terminate()
  }
}
