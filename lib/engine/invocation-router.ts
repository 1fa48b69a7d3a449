import type { ErrorBody, InvocationResult, InvokeFunction } from '../protocol/messages'
import type { WorkerConnection } from './worker-connection'

interface PendingInvocation {
  readonly caller: WorkerConnection
  readonly functionId: string
}

/**
 * Invocations forwarded to a worker and not yet answered, indexed by the callee so that a
 * callee that disconnects fails every caller at once instead of leaving them to time out.
 */
export class InvocationRouter {
  private readonly byCallee = new Map<WorkerConnection, Map<string, PendingInvocation>>()

  get size(): number {
    let count = 0
    for (const pending of this.byCallee.values()) count += pending.size
    return count
  }

  /** Forwards `raw` (the caller's frame, unchanged) to the callee and remembers who waits. */
  forward(caller: WorkerConnection, callee: WorkerConnection, message: InvokeFunction, raw: string): void {
    const invocationId = message.invocation_id
    if (invocationId !== undefined && message.action?.type !== 'void') {
      let pending = this.byCallee.get(callee)
      if (!pending) this.byCallee.set(callee, (pending = new Map()))
      if (pending.has(invocationId)) {
        caller.send(failure(invocationId, message.function_id, {
          code: 'invalid_message',
          message: `invocation_id ${invocationId} is already pending`,
        }))
        return
      }
      pending.set(invocationId, { caller, functionId: message.function_id })
    }
    callee.sendRaw(raw)
  }

  /** Routes a callee's result back to its caller; results nobody waits for are dropped. */
  complete(callee: WorkerConnection, result: InvocationResult, raw: string): boolean {
    const pending = this.byCallee.get(callee)
    const invocation = pending?.get(result.invocation_id)
    if (!pending || !invocation) return false
    pending.delete(result.invocation_id)
    invocation.caller.sendRaw(raw)
    return true
  }

  /** A worker left: its callers learn now, and results owed to it are no longer awaited. */
  workerGone(worker: WorkerConnection, reason: string): void {
    const owed = this.byCallee.get(worker)
    this.byCallee.delete(worker)
    for (const [invocationId, invocation] of owed ?? []) {
      invocation.caller.send(failure(invocationId, invocation.functionId, { code: 'invocation_stopped', message: reason }))
    }
    for (const pending of this.byCallee.values()) {
      for (const [invocationId, invocation] of pending) {
        if (invocation.caller === worker) pending.delete(invocationId)
      }
    }
  }
}

export function failure(invocationId: string, functionId: string, error: ErrorBody): InvocationResult {
  return { type: 'invocationresult', invocation_id: invocationId, function_id: functionId, error }
}
