import type { ErrorBody, InvocationResult, InvokeFunction } from '../protocol/messages'
import type { WorkerConnection } from './worker-connection'

interface PendingInvocation {
  readonly caller: WorkerConnection
  readonly functionId: string
}

/**
 * Invocations forwarded to a worker and not yet answered, indexed by the callee so that a
 * callee that disconnects fails every caller at once instead of leaving them to time out,
 * and counted by caller so that no worker can have more than `maxPendingPerCaller` waiting.
 */
export class InvocationRouter {
  private readonly byCallee = new Map<WorkerConnection, Map<string, PendingInvocation>>()
  private readonly countByCaller = new Map<WorkerConnection, number>()

  constructor(private readonly maxPendingPerCaller: number) {}

  get size(): number {
    let count = 0
    for (const pending of this.byCallee.values()) count += pending.size
    return count
  }

  /**
   * Forwards `raw` (the caller's frame, unchanged) to the callee and remembers who waits.
   * Returns the error to answer the caller with instead, if the invocation is refused.
   */
  forward(caller: WorkerConnection, callee: WorkerConnection, message: InvokeFunction, raw: string): ErrorBody | undefined {
    const invocationId = message.invocation_id
    if (invocationId !== undefined && message.action?.type !== 'void') {
      const waiting = this.countByCaller.get(caller) ?? 0
      if (waiting >= this.maxPendingPerCaller) {
        return {
          code: 'too_many_pending_invocations',
          message: `this worker already waits on ${waiting} invocations, the engine's limit (maxPendingInvocationsPerWorker)`,
        }
      }
      let pending = this.byCallee.get(callee)
      if (!pending) this.byCallee.set(callee, (pending = new Map()))
      if (pending.has(invocationId)) return { code: 'invalid_message', message: `invocation_id ${invocationId} is already pending` }
      pending.set(invocationId, { caller, functionId: message.function_id })
      this.countByCaller.set(caller, waiting + 1)
    }
    callee.sendRaw(raw)
    return undefined
  }

  /** Routes a callee's result back to its caller; results nobody waits for are dropped. */
  complete(callee: WorkerConnection, result: InvocationResult, raw: string): boolean {
    const invocation = this.take(callee, result.invocation_id)
    if (!invocation) return false
    invocation.caller.sendRaw(raw)
    return true
  }

  /** A worker left: its callers learn now, and results owed to it are no longer awaited. */
  workerGone(worker: WorkerConnection, reason: string): void {
    for (const invocationId of [...(this.byCallee.get(worker)?.keys() ?? [])]) {
      const invocation = this.take(worker, invocationId) as PendingInvocation
      invocation.caller.send(failure(invocationId, invocation.functionId, { code: 'invocation_stopped', message: reason }))
    }
    this.byCallee.delete(worker)
    for (const [callee, pending] of this.byCallee) {
      for (const [invocationId, invocation] of pending) {
        if (invocation.caller === worker) this.take(callee, invocationId)
      }
    }
  }

  /** Fails every pending invocation with `error`: used when the engine shuts down. */
  failAll(error: ErrorBody): void {
    for (const [callee, pending] of [...this.byCallee]) {
      for (const invocationId of [...pending.keys()]) {
        const invocation = this.take(callee, invocationId) as PendingInvocation
        invocation.caller.send(failure(invocationId, invocation.functionId, error))
      }
    }
  }

  private take(callee: WorkerConnection, invocationId: string): PendingInvocation | undefined {
    const pending = this.byCallee.get(callee)
    const invocation = pending?.get(invocationId)
    if (!pending || !invocation) return undefined
    pending.delete(invocationId)
    if (pending.size === 0) this.byCallee.delete(callee)
    const waiting = (this.countByCaller.get(invocation.caller) ?? 1) - 1
    if (waiting > 0) this.countByCaller.set(invocation.caller, waiting)
    else this.countByCaller.delete(invocation.caller)
    return invocation
  }
}

export function failure(invocationId: string, functionId: string, error: ErrorBody): InvocationResult {
  return { type: 'invocationresult', invocation_id: invocationId, function_id: functionId, error }
}
