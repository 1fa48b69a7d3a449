import type { Logger } from '../log'
import type { FunctionRegistry } from './function-registry'
import { secretsMatch } from './secrets'
import type { WorkerConnection } from './worker-connection'

export interface ReattachContext {
  readonly workers: ReadonlyMap<string, WorkerConnection>
  readonly functions: FunctionRegistry
  readonly logger: Logger
}

/**
 * A worker reconnected and proved, with its token, that it was `previousWorkerId`. Its
 * functions become the new connection's at once, before the next frame on it (the replay of
 * its registrations, sent in the same write) is handled: from a previous connection still
 * open (dropped on the worker's side only; it is then terminated), or from the reservation
 * of one that dropped.
 */
export function reattach(worker: WorkerConnection, previousWorkerId: string, token: string, { workers, functions, logger }: ReattachContext): void {
  const previous = workers.get(previousWorkerId)
  if (previous === worker) {
    logger.debug(`worker ${worker.id}: reattach to its own id ignored`)
    return
  }
  if (previous) {
    if (!secretsMatch(previous.reattachToken, token)) {
      logger.warn(`worker ${worker.id}: reattach to worker ${previousWorkerId} refused: wrong token`)
      return
    }
    functions.transfer(previous, worker)
    previous.ws.terminate()
    logger.info(`worker ${worker.id}: reattached; its previous connection ${previousWorkerId} is retired`)
    return
  }
  const outcome = functions.reclaim(worker, previousWorkerId, token)
  if (outcome === 'wrong_token') logger.warn(`worker ${worker.id}: reattach to worker ${previousWorkerId} refused: wrong token`)
  else if (outcome === 'reclaimed') logger.info(`worker ${worker.id}: reattached; the functions reserved for ${previousWorkerId} are its again`)
  else logger.debug(`worker ${worker.id}: reattach to unknown worker ${previousWorkerId} ignored`)
}
