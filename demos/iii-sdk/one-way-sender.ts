// The one-way example's caller, written with the official `iii-sdk` client.
import { Readable } from 'stream'
import { pipeline } from 'stream/promises'
import { registerWorker } from 'iii-sdk'
import { createChannel } from 'iii-sdk/helpers'
import { engineUrlFromArgs } from '../support/processes'

const RECORD_COUNT = 1000

function* records(): Generator<string> {
  for (let id = 1; id <= RECORD_COUNT; id++) yield JSON.stringify({ id, value: id }) + '\n'
}

async function main(): Promise<void> {
  const iii = registerWorker(engineUrlFromArgs(), { workerName: 'iii-data-sender', otel: { enabled: false } })
  iii.registerFunction('data.sender', async () => {
    const channel = await createChannel(iii)
    // pipeline() honours backpressure: it waits for 'drain' whenever write() returns false.
    const [summary] = await Promise.all([
      iii.trigger({ function_id: 'data.processor', payload: { label: 'sensor-batch', reader: channel.readerRef } }),
      pipeline(Readable.from(records()), channel.writer.stream),
    ])
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
