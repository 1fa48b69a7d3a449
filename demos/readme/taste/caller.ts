// caller.ts: a one-shot program; it streams 1000 records to data.processor, prints the summary and exits.
import { pipeline } from 'stream/promises'
import { registerWorker } from 'rx-channels'

async function* records() {
  for (let id = 1; id <= 1000; id++) yield JSON.stringify({ id, value: id }) + '\n'
}

async function main() {
  const worker = registerWorker(process.env.RX_CHANNELS_URL ?? 'ws://127.0.0.1:49134')
  try {
    // Create a channel, hand its reader's ref to the callee, write into its writer.
    const channel = await worker.createChannel()
    const [summary] = await Promise.all([
      worker.trigger({ function_id: 'data.processor', payload: { label: 'batch', reader: channel.readerRef } }),
      pipeline(records(), channel.writer.stream), // waits whenever the channel is full
    ])
    console.log(summary) // { label: 'batch', count: 1000, sum: 500500, average: 500.5 }
  } finally {
    await worker.shutdown() // without it, the open connection keeps the process alive
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
