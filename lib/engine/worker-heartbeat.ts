import type { Logger } from '../log'
import type { WorkerConnection } from './worker-connection'

/** A pong is the worker's only sign of life: a worker that sends but never reads holds everything queued for it. */
export function listenForPongs(worker: WorkerConnection): void {
  worker.ws.on('pong', () => (worker.alive = true))
}

/** One beat of the worker heartbeat, every `heartbeatMs`: drops the workers that did not answer the last ping, pings the others. */
export function pingWorkers(workers: Iterable<WorkerConnection>, heartbeatMs: number, logger: Logger): void {
  for (const worker of workers) {
    if (!worker.alive) {
      worker.dropReason = `no pong within ${heartbeatMs} ms (heartbeatMs)`
      logger.warn(`worker ${worker.label} did not answer a ping; dropping it`, worker.logFields)
      worker.ws.terminate()
      continue
    }
    worker.alive = false
    worker.ws.ping()
  }
}
