// The bidirectional example's caller, written with the official `iii-sdk` client.
import { Readable } from 'stream'
import { pipeline } from 'stream/promises'
import { registerWorker } from 'iii-sdk'
import { createChannel } from 'iii-sdk/helpers'
import { engineUrlFromArgs } from '../support/processes'

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(10)
const CHUNK_SIZE = 50

function* chunks(text: string): Generator<Buffer> {
  const bytes = Buffer.from(text, 'utf8')
  for (let offset = 0; offset < bytes.length; offset += CHUNK_SIZE) yield bytes.subarray(offset, offset + CHUNK_SIZE)
}

async function main(): Promise<void> {
  const iii = registerWorker(engineUrlFromArgs(), { workerName: 'iii-stream-coordinator', otel: { enabled: false } })
  iii.registerFunction('stream.coordinator', async () => {
    const input = await createChannel(iii)
    const output = await createChannel(iii)
    const messages: unknown[] = []
    // The official reader drops messages that arrive before a handler is registered.
    output.reader.onMessage((message) => messages.push(JSON.parse(message)))
    const binaryResult = output.reader.readAll()
    const workerResult = iii.trigger({ function_id: 'stream.worker', payload: { reader: input.readerRef, writer: output.writerRef } })
    // pipeline() honours backpressure: it waits for 'drain' whenever write() returns false.
    const [binary, result] = await Promise.all([binaryResult, workerResult, pipeline(Readable.from(chunks(TEXT)), input.writer.stream)])
    return { messages, binaryResult: binary.toString('utf8'), workerResult: result }
  })
  await iii.trigger({ function_id: 'engine::functions::list', payload: {} })
  const result = await iii.trigger({ function_id: 'stream.coordinator', payload: {} })
  console.log(`RESULT ${JSON.stringify(result)}`)
  await iii.shutdown()
  process.exit(0)
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
