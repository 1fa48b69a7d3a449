// Bidirectional channels, callee: `stream.worker` reads text chunks from one channel and
// answers on a second: a `progress` message per chunk, a `complete` message, then the
// processed text as binary data.
import { lastValueFrom, reduce } from 'rxjs'
import { registerWorker, type ChannelReader, type ChannelWriter } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'

interface WorkerInput {
  readonly reader: ChannelReader
  readonly writer: ChannelWriter
}

async function main(): Promise<void> {
  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'stream-worker' })
  worker.registerFunction({ id: 'stream.worker', description: 'Upper-cases streamed text, reporting progress' }, async ({ reader, writer }: WorkerInput) => {
    const received = await lastValueFrom(
      reader.chunks$.pipe(
        reduce((state, chunk) => {
          const next = { chunks: state.chunks + 1, bytes: state.bytes + chunk.length, text: state.text + chunk.toString('utf8') }
          writer.sendMessage(JSON.stringify({ type: 'progress', chunks: next.chunks, bytes: next.bytes }))
          return next
        }, { chunks: 0, bytes: 0, text: '' }),
      ),
    )
    const words = received.text.split(/\s+/).filter((word) => word !== '').length
    writer.sendMessage(JSON.stringify({ type: 'complete', chunks: received.chunks, bytes: received.bytes }))
    writer.stream.end(Buffer.from(received.text.toUpperCase(), 'utf8'))
    return { chunks: received.chunks, bytes: received.bytes, words }
  })
  await worker.ready()
  console.log('READY stream.worker')
  process.once('SIGTERM', () => void worker.shutdown())
}

void main()
