// Cluster demo, the writer: a worker on one node that writes into channels created elsewhere.
// Usage: writer.ts ENGINE_URL. `cluster.write` writes MiB of random bytes (progress on stderr)
// and returns their SHA-256; `cluster.stream` writes until the channel fails under it.
import { createHash, randomBytes } from 'crypto'
import { registerWorker, silentLogger, type ChannelWriter } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'
import { progressReporter } from '../support/progress'

const MiB = 1024 * 1024

/** Writes `chunk` and waits while the channel pushes back; rejects once the channel fails. */
function written(writer: ChannelWriter, chunk: Buffer): Promise<void> {
  if (writer.stream.write(chunk)) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      writer.stream.off('drain', settle)
      writer.stream.off('error', settle)
      writer.stream.off('close', closed)
      if (error) reject(error)
      else resolve()
    }
    const closed = () => settle(new Error('channel closed under the writer'))
    writer.stream.once('drain', settle)
    writer.stream.once('error', settle)
    writer.stream.once('close', closed)
  })
}

async function main(): Promise<void> {
  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'cluster-writer', logger: silentLogger })
  worker.registerFunction('cluster.write', async ({ writer, sizeMiB }: { writer: ChannelWriter; sizeMiB: number }) => {
    const hash = createHash('sha256')
    const progress = progressReporter(sizeMiB * MiB)
    for (let index = 0; index < sizeMiB; index++) {
      const chunk = randomBytes(MiB)
      hash.update(chunk)
      await written(writer, chunk)
      progress.report((index + 1) * MiB, 'written')
    }
    await new Promise<void>((resolve) => writer.stream.end(resolve))
    progress.finish('written')
    return { bytes: sizeMiB * MiB, sha256: hash.digest('hex') }
  })
  worker.registerFunction('cluster.stream', async ({ writer }: { writer: ChannelWriter }) => {
    writer.stream.on('error', () => undefined)
    const chunk = Buffer.alloc(64 * 1024, 7)
    for (;;) await written(writer, chunk)
  })
  await worker.ready()
  console.log('READY cluster.write cluster.stream')
  process.once('SIGTERM', () => void worker.shutdown().then(() => process.exit(0)))
}

void main()
