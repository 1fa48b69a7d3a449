import { InvocationError, messageOf } from '../errors'
import type { InvocationResult, InvokeFunction } from '../protocol/messages'
import { notSentError, outboxFullError } from './call-errors'
import type { Outbox } from './outbox'
import type { WorkerSocket } from './worker-socket'

/** An invocation this worker made, waiting to be settled. */
interface PendingCall {
  readonly functionId: string
  readonly resolve: (result: unknown) => void
  readonly reject: (error: InvocationError) => void
  readonly timer: NodeJS.Timeout
  /** Fire-and-forget: settled once sent, as no result comes back. */
  readonly forget: boolean
  /** Whether the invocation reached the socket; until then it waits in the outbox under the same id. */
  sent: boolean
}

/**
 * The invocations this worker has made and not yet settled. A frame that cannot be sent yet
 * waits in the outbox under its call's id; whatever settles a call (its result, its timeout,
 * a drop, a refusal, shutdown) takes it out of both, so nothing is sent or settled twice.
 */
export class PendingCalls {
  private readonly calls = new Map<string, PendingCall>()

  constructor(
    private readonly socket: WorkerSocket,
    private readonly outbox: Outbox,
  ) {}

  /**
   * Sends the invocation now, or holds it in the outbox until connected. Resolves with its
   * result, or, fire-and-forget (`action: void`), once its frame reaches a connected socket.
   */
  call<Out>(message: InvokeFunction, timeoutMs: number): Promise<Out> {
    const functionId = message.function_id
    const forget = message.action?.type === 'void'
    // A fire-and-forget call has no invocation_id on the wire; the id keys its outbox entry.
    const invocationId = crypto.randomUUID()
    const text = serialize(forget ? message : { ...message, invocation_id: invocationId }, functionId)
    if (text instanceof InvocationError) return Promise.reject(text)
    return new Promise<Out>((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(invocationId, timeoutMs), timeoutMs)
      this.calls.set(invocationId, { functionId, resolve: resolve as (result: unknown) => void, reject, timer, forget, sent: false })
      if (this.socket.send(text)) this.onSent(invocationId)
      else if (!this.outbox.add(invocationId, text)) this.settle(invocationId)?.reject(outboxFullError(this.outbox, this.socket.lastConnectionError, functionId))
    })
  }

  /** The frame reached the socket: a fire-and-forget call is done, others now wait for their result. */
  onSent(invocationId: string): void {
    const entry = this.calls.get(invocationId)
    if (!entry) return
    if (entry.forget) this.settle(invocationId)?.resolve(undefined)
    else entry.sent = true
  }

  onResult(result: InvocationResult): void {
    const entry = this.settle(result.invocation_id)
    if (!entry) return
    if (result.error) {
      entry.reject(new InvocationError(result.error.code, result.error.message, entry.functionId, result.error.stacktrace))
    } else {
      entry.resolve(result.result)
    }
  }

  /** Rejects the invocations already sent, whose results cannot come back over a new connection. */
  failSent(errorFor: (functionId: string) => InvocationError): void {
    for (const [invocationId, entry] of [...this.calls]) {
      if (!entry.sent) continue
      this.settle(invocationId)
      entry.reject(errorFor(entry.functionId))
    }
  }

  /** Rejects every pending invocation, sent or queued, and empties the outbox. */
  failAll(errorFor: (functionId: string) => InvocationError): void {
    for (const invocationId of [...this.calls.keys()]) {
      const entry = this.settle(invocationId)
      entry?.reject(errorFor(entry.functionId))
    }
    this.outbox.takeAll()
  }

  /** Takes the invocation out of the table and the outbox, so nothing sends or settles it again. */
  private settle(invocationId: string): PendingCall | undefined {
    const entry = this.calls.get(invocationId)
    if (!entry) return undefined
    this.calls.delete(invocationId)
    this.outbox.remove(invocationId)
    clearTimeout(entry.timer)
    return entry
  }

  private onTimeout(invocationId: string, timeoutMs: number): void {
    const entry = this.settle(invocationId)
    if (!entry) return
    if (entry.sent) entry.reject(new InvocationError('TIMEOUT', `invocation timed out after ${timeoutMs} ms`, entry.functionId))
    else entry.reject(notSentError(this.socket.url, timeoutMs, this.socket.lastConnectionError, entry.functionId))
  }
}

function serialize(message: InvokeFunction, functionId: string): string | InvocationError {
  try {
    return JSON.stringify(message)
  } catch (error) {
    return new InvocationError('invalid_argument', `payload is not JSON-serializable: ${messageOf(error)}`, functionId)
  }
}
