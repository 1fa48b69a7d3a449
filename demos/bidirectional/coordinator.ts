// Bidirectional channels, caller: `stream.coordinator` sends text in chunks to
// `stream.worker` over one channel and collects its progress messages and binary result
// from a second channel.
import { Readable } from 'stream'
import { pipeline } from 'stream/promises'
import { registerWorker } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(10)
const CHUNK_SIZE = 50

function* chunks(text: string): Generator<Buffer> {
  const bytes = Buffer.from(text, 'utf8')
  for (let offset = 0; offset < bytes.length; offset += CHUNK_SIZE) yield bytes.subarray(offset, offset + CHUNK_SIZE)
}

async function main(): Promise<void> {
  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'stream-coordinator' })
  worker.registerFunction({ id: 'stream.coordinator', description: 'Drives stream.worker over two channels' }, async () => {
    const input = await worker.createChannel()
    const output = await worker.createChannel()
    const messages: unknown[] = []
    output.reader.onMessage((message) => messages.push(JSON.parse(message)))
    const binaryResult = output.reader.readAll()
    const workerResult = worker.trigger({
      function_id: 'stream.worker',
      payload: { reader: input.readerRef, writer: output.writerRef },
    })
    // pipeline() honours backpressure: it waits for 'drain' whenever write() returns false.
    const [binary, result] = await Promise.all([binaryResult, workerResult, pipeline(Readable.from(chunks(TEXT)), input.writer.stream)])
    return { messages, binaryResult: binary.toString('utf8'), workerResult: result }
  })
  await worker.ready()
  const result = await worker.trigger({ function_id: 'stream.coordinator', payload: {} })
  console.log(`RESULT ${JSON.stringify(result)}`)
  await worker.shutdown()
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
