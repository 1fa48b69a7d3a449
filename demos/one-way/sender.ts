// One-way channel, caller: `data.sender` creates a channel, hands its read end to
// `data.processor`, streams records into the write end and returns the processor's summary.
import { Readable } from 'stream'
import { pipeline } from 'stream/promises'
import { registerWorker } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'

const RECORD_COUNT = 1000

function* records(): Generator<string> {
  for (let id = 1; id <= RECORD_COUNT; id++) yield JSON.stringify({ id, value: id }) + '\n'
}

async function main(): Promise<void> {
  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'data-sender' })
  worker.registerFunction({ id: 'data.sender', description: 'Streams records to data.processor' }, async () => {
    const channel = await worker.createChannel()
    // pipeline() writes only while the channel takes more (write() returning false pauses it
    // until 'drain'), ends the writer, and rejects if the channel fails.
    const [summary] = await Promise.all([
      worker.trigger({ function_id: 'data.processor', payload: { label: 'sensor-batch', reader: channel.readerRef } }),
      pipeline(Readable.from(records()), channel.writer.stream),
    ])
    return summary
  })
  await worker.ready()
  const result = await worker.trigger({ function_id: 'data.sender', payload: {} })
  console.log(`RESULT ${JSON.stringify(result)}`)
  await worker.shutdown()
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
