// Cluster demo, a worker given several engines: registerWorker([urlB, urlC]) serves from the
// first, and when that node dies it moves to the next and registers its functions there.
// Usage: mover.ts URL,URL... `cluster.where` answers with the engine it is on; `cluster.hang`
// never answers, so that a node's death finds calls pending. Prints `ON <url>` on each move.
import { registerWorker, silentLogger } from '../../lib'

async function main(): Promise<void> {
  const urls = process.argv[2].split(',')
  const worker = registerWorker(urls as [string, ...string[]], { workerName: 'cluster-mover', logger: silentLogger, reconnect: { initialDelayMs: 200, maxDelayMs: 1000 } })
  worker.registerFunction('cluster.where', () => ({ engine: worker.engineUrl }))
  worker.registerFunction('cluster.hang', () => new Promise(() => undefined))
  worker.engineUrl$.subscribe((url) => console.log(url === undefined ? 'RECONNECTING' : `ON ${url}`))
  await worker.ready()
  console.log('READY cluster.where cluster.hang')
  process.once('SIGTERM', () => void worker.shutdown().then(() => process.exit(0)))
}

void main()
