// One-way channel, caller: `data.sender` creates a channel, hands its read end to
// `data.processor`, streams records into the write end and returns the processor's summary.
import { registerWorker } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'

const RECORD_COUNT = 1000

async function main(): Promise<void> {
  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'data-sender' })
  worker.registerFunction({ id: 'data.sender', description: 'Streams records to data.processor' }, async () => {
    const channel = await worker.createChannel()
    const summary = worker.trigger({
      function_id: 'data.processor',
      payload: { label: 'sensor-batch', reader: channel.readerRef },
    })
    for (let id = 1; id <= RECORD_COUNT; id++) {
      channel.writer.stream.write(JSON.stringify({ id, value: id }) + '\n')
    }
    channel.writer.stream.end()
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
