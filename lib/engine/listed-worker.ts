import type { ListedWorker } from '../protocol/engine-functions'
import type { WorkerConnection } from './worker-connection'

/** A connected worker as `engine::workers::list` shows it. */
export function listedWorker(worker: WorkerConnection): ListedWorker {
  return {
    worker_id: worker.id,
    connected_at: worker.connectedAt.toISOString(),
    functions: [...worker.functions.keys()],
    metadata: worker.metadata ?? null,
  }
}
