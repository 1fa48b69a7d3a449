import type { Duplex } from 'stream'
import type WebSocket from 'ws'
import type { LogFields, Logger } from '../log'
import type { EngineEvent } from './events'
import type { EngineLimits } from './limits'

/** What bounds the queue of every worker socket, and where its episodes are reported. */
export interface BacklogPolicy {
  readonly limits: Pick<EngineLimits, 'maxQueuedBytesPerWorker' | 'workerDrainGraceMs' | 'maxMessageBytes'>
  readonly logger: Logger
  readonly events: { next(event: EngineEvent): void }
}

/**
 * The bytes queued to one worker socket and not yet taken by the worker: ws's `bufferedAmount`,
 * which counts what waits in the TCP socket's write buffer (a corked one included). At
 * `maxQueuedBytesPerWorker` the worker is backed up: the engine forwards it no invocations, and
 * what it is still owed (results, engine answers) may take the queue to that limit plus
 * `maxMessageBytes`, no further. A worker still backed up `workerDrainGraceMs` after it became
 * so does not read, and is dropped.
 */
export class WorkerBacklog {
  private drainTimer?: NodeJS.Timeout
  /** Invocations refused since the worker became backed up. */
  refusedInvocations = 0

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly worker: { readonly id: string; readonly label: string; readonly logFields: LogFields },
    private readonly policy: BacklogPolicy,
    /** Drops the worker that does not drain, with the reason. */
    private readonly onStuck: (reason: string) => void,
  ) {}

  get queuedBytes(): number {
    return this.ws.bufferedAmount
  }

  get backedUp(): boolean {
    return this.ws.bufferedAmount >= this.policy.limits.maxQueuedBytesPerWorker
  }

  /** The most bytes the queue may hold: the limit, plus one message of the largest size. */
  get hardCapBytes(): number {
    return this.policy.limits.maxQueuedBytesPerWorker + this.policy.limits.maxMessageBytes
  }

  /** Whether `text` may join the queue. Its size is only measured past the limit, so the common case costs one read. */
  admits(text: string): boolean {
    return !this.backedUp || this.ws.bufferedAmount + Buffer.byteLength(text) <= this.hardCapBytes
  }

  /** After each send: a worker that has just reached the limit gets its grace period to drain. */
  afterSend(): void {
    if (this.drainTimer === undefined && this.backedUp) this.watchDrain()
  }

  /** Counts an invocation refused because this worker is backed up; the count is logged when the episode ends. */
  refuse(): void {
    this.refusedInvocations++
  }

  /** The socket closed: nothing is left to watch. */
  stop(): void {
    clearTimeout(this.drainTimer)
    this.socket.off('drain', this.onDrain)
  }

  private watchDrain(): void {
    const { limits, logger, events } = this.policy
    const queued = this.queuedBytes
    logger.warn(
      `worker ${this.worker.label} is backed up: ${queued} bytes queued, over ${limits.maxQueuedBytesPerWorker} (maxQueuedBytesPerWorker); ` +
        `invocations to it are refused until it drains, and it is dropped if it has not within ${limits.workerDrainGraceMs} ms`,
      { ...this.worker.logFields, bytes: queued },
    )
    events.next({ type: 'worker_backed_up', worker_id: this.worker.id, queued_bytes: queued })
    // The write buffer emits 'drain' once empty; a worker below the limit when the grace ends has drained enough.
    this.socket.once('drain', this.onDrain)
    this.drainTimer = setTimeout(() => {
      if (!this.backedUp) {
        this.onDrain()
        return
      }
      this.stop()
      this.drainTimer = undefined
      this.onStuck(
        `backed up: ${this.queuedBytes} bytes unread after ${limits.workerDrainGraceMs} ms (maxQueuedBytesPerWorker ${limits.maxQueuedBytesPerWorker})`,
      )
    }, limits.workerDrainGraceMs)
    this.drainTimer.unref()
  }

  private readonly onDrain = (): void => {
    this.stop()
    this.drainTimer = undefined
    this.policy.logger.info(`worker ${this.worker.label} drained; ${this.refusedInvocations} invocations to it were refused meanwhile`, {
      ...this.worker.logFields,
      refused_invocations: this.refusedInvocations,
    })
    this.policy.events.next({ type: 'worker_drained', worker_id: this.worker.id, refused_invocations: this.refusedInvocations })
    this.refusedInvocations = 0
  }
}
