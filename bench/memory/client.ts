// Load for the memory figures, in its own process. Usage: client.ts URL TASK N, TASK one of
// `workers` (N connected workers), `idle` (N channels, both ends connected, then idle) or
// `create` (N channels created, 64 requests in flight). Prints `DONE {"seconds":S}` and stays
// connected until SIGINT.
import { registerWorker, silentLogger, type WorkerClient } from '../../lib'

async function main(): Promise<void> {
  const [, , url, task, count] = process.argv
  const n = Number(count)
  const started = process.hrtime.bigint()
  const workers: WorkerClient[] = []
  if (task === 'workers') {
    for (let index = 0; index < n; index++) workers.push(registerWorker(url, { logger: silentLogger }))
    await Promise.all(workers.map((worker) => worker.ready()))
  } else {
    const worker = registerWorker(url, { logger: silentLogger })
    await worker.ready()
    let next = 0
    const lane = async () => {
      while (next < n) {
        next++
        const channel = await worker.createChannel()
        if (task !== 'idle') continue
        // Both ends connect: the writer on its first message, the reader on subscription.
        // The subscription stays: a reader whose last subscriber leaves closes its channel.
        const received = new Promise((resolve, reject) => {
          channel.reader.messages$.subscribe({ next: resolve, error: reject })
          // A refused writer (say, past maxConnectionsPerAddress) would leave its reader waiting for it.
          channel.writer.closed$.subscribe({ error: reject })
        })
        channel.writer.sendMessage('open')
        await received
      }
    }
    await Promise.all(Array.from({ length: 64 }, lane))
  }
  console.log(`DONE ${JSON.stringify({ seconds: Number(process.hrtime.bigint() - started) / 1e9 })}`)
  process.once('SIGINT', () => process.exit(0))
}

void main()
