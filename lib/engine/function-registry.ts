import type { RegisterFunction } from '../protocol/messages'
import type { WorkerConnection } from './worker-connection'

export type RegisterOutcome = { readonly ok: true } | { readonly ok: false; readonly owner: WorkerConnection }

/** Which live worker owns each function id. */
export class FunctionRegistry {
  private readonly owners = new Map<string, WorkerConnection>()

  get size(): number {
    return this.owners.size
  }

  owner(functionId: string): WorkerConnection | undefined {
    return this.owners.get(functionId)
  }

  /** Re-registering one's own id (a reconnect replay) is fine; taking a live worker's id is not. */
  register(worker: WorkerConnection, registration: RegisterFunction): RegisterOutcome {
    const owner = this.owners.get(registration.id)
    if (owner && owner !== worker) return { ok: false, owner }
    this.owners.set(registration.id, worker)
    worker.functions.set(registration.id, registration)
    return { ok: true }
  }

  unregister(worker: WorkerConnection, functionId: string): void {
    if (this.owners.get(functionId) === worker) this.owners.delete(functionId)
    worker.functions.delete(functionId)
  }

  removeWorker(worker: WorkerConnection): void {
    for (const functionId of worker.functions.keys()) {
      if (this.owners.get(functionId) === worker) this.owners.delete(functionId)
    }
  }

  list(): Array<{ function_id: string; worker_id: string } & Omit<RegisterFunction, 'type' | 'id'>> {
    return [...this.owners.entries()].map(([functionId, worker]) => {
      const { type: _type, id: _id, ...details } = worker.functions.get(functionId) as RegisterFunction
      return { function_id: functionId, worker_id: worker.id, ...details }
    })
  }
}
