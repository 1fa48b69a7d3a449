// caller.js (CommonJS): streams 1000 records to data.processor, prints the summary and exits.
const { pipeline } = require('stream/promises')
const { registerWorker } = require('rx-channels')

async function* records() {
  for (let id = 1; id <= 1000; id++) yield JSON.stringify({ id, value: id }) + '\n'
}

async function main() {
  const worker = registerWorker(process.env.RX_CHANNELS_URL ?? 'ws://127.0.0.1:49134')
  try {
    const channel = await worker.createChannel()
    const [summary] = await Promise.all([
      worker.trigger({ function_id: 'data.processor', payload: { label: 'batch', reader: channel.readerRef } }),
      pipeline(records(), channel.writer.stream),
    ])
    console.log(summary)
  } finally {
    await worker.shutdown()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
