import type { Logger } from '../log'
import { clip } from '../protocol/decode'
import type { FunctionRegistry } from './function-registry'
import { shortId } from './log-words'
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
  // The previous id is the client's word until it is found: clipped, as any client-supplied text.
  const previousLabel = previous?.label ?? shortId(previousWorkerId)
  const fields = { ...worker.logFields, previous_worker_id: clip(previousWorkerId, 40) }
  if (previous === worker) {
    logger.debug(`worker ${worker.label}: reattach to its own id ignored`, fields)
    return
  }
  if (previous) {
    if (!secretsMatch(previous.reattachToken, token)) {
      logger.warn(`worker ${worker.label}: reattach to worker ${previousLabel} refused: wrong token`, fields)
      return
    }
    functions.transfer(previous, worker)
    previous.ws.terminate()
    logger.info(`worker ${worker.label}: reattached; its previous connection ${previousLabel} is retired`, fields)
    return
  }
  const outcome = functions.reclaim(worker, previousWorkerId, token)
  if (outcome === 'wrong_token') logger.warn(`worker ${worker.label}: reattach to worker ${previousLabel} refused: wrong token`, fields)
  else if (outcome === 'reclaimed') logger.info(`worker ${worker.label}: reattached; the functions reserved for ${previousLabel} are its again`, fields)
  else logger.debug(`worker ${worker.label}: reattach to unknown worker ${previousLabel} ignored`, fields)
}
