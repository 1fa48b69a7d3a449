import { silentLogger, registerWorker, type WorkerClient, type WorkerOptions } from '../../lib'

/** Worker clients for a test, shut down after it. */
export function useWorkers(): (url: string, options?: WorkerOptions) => Promise<WorkerClient> {
  const started: WorkerClient[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((worker) => worker.shutdown()))
  })
  return async (url, options = {}) => {
    const worker = registerWorker(url, { logger: silentLogger, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, ...options })
    started.push(worker)
    await worker.ready()
    return worker
  }
}
