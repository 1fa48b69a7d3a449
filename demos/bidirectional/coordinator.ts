// Bidirectional channels, caller: `stream.coordinator` sends text in chunks to
// `stream.worker` over one channel and collects its progress messages and binary result
// from a second channel.
import { registerWorker } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(10)
const CHUNK_SIZE = 50

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
    const bytes = Buffer.from(TEXT, 'utf8')
    for (let offset = 0; offset < bytes.length; offset += CHUNK_SIZE) {
      input.writer.stream.write(bytes.subarray(offset, offset + CHUNK_SIZE))
    }
    input.writer.stream.end()
    return { messages, binaryResult: (await binaryResult).toString('utf8'), workerResult: await workerResult }
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
