// Cluster demo, the reader: a worker on one node that reads channels created elsewhere.
// Usage: reader.ts ENGINE_URL. `cluster.read` reads a channel to its end and returns the
// SHA-256 and count of its bytes.
import { createHash } from 'crypto'
import { registerWorker, silentLogger, type ChannelReader } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'

async function main(): Promise<void> {
  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'cluster-reader', logger: silentLogger })
  worker.registerFunction('cluster.read', async ({ reader }: { reader: ChannelReader }) => {
    const hash = createHash('sha256')
    let bytes = 0
    for await (const chunk of reader.stream) {
      hash.update(chunk as Buffer)
      bytes += (chunk as Buffer).length
    }
    return { bytes, sha256: hash.digest('hex') }
  })
  await worker.ready()
  console.log('READY cluster.read')
  process.once('SIGTERM', () => void worker.shutdown().then(() => process.exit(0)))
}

void main()
