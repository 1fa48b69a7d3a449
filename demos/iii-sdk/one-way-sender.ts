// The one-way example's caller, written with the official `iii-sdk` client.
import { registerWorker } from 'iii-sdk'
import { createChannel } from 'iii-sdk/helpers'
import { engineUrlFromArgs } from '../support/processes'

const RECORD_COUNT = 1000

async function main(): Promise<void> {
  const iii = registerWorker(engineUrlFromArgs(), { workerName: 'iii-data-sender', otel: { enabled: false } })
  iii.registerFunction('data.sender', async () => {
    const channel = await createChannel(iii)
    const summary = iii.trigger({ function_id: 'data.processor', payload: { label: 'sensor-batch', reader: channel.readerRef } })
    for (let id = 1; id <= RECORD_COUNT; id++) channel.writer.stream.write(JSON.stringify({ id, value: id }) + '\n')
    channel.writer.stream.end()
    return summary
  })
  await iii.trigger({ function_id: 'engine::functions::list', payload: {} })
  const result = await iii.trigger({ function_id: 'data.sender', payload: {} })
  console.log(`RESULT ${JSON.stringify(result)}`)
  await iii.shutdown()
  process.exit(0)
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
