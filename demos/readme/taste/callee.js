// callee.js (CommonJS): serves data.processor until Ctrl-C.
const { registerWorker } = require('rx-channels')

const worker = registerWorker(process.env.RX_CHANNELS_URL ?? 'ws://127.0.0.1:49134')

worker.registerFunction('data.processor', async ({ label, reader }) => {
  const records = (await reader.readAll()).toString().split('\n').filter(Boolean).map((line) => JSON.parse(line))
  const sum = records.reduce((total, record) => total + record.value, 0)
  return { label, count: records.length, sum, average: sum / records.length }
})

worker.ready().then(() => console.log('data.processor is ready'))

// Ctrl-C: leave cleanly, so that the engine frees data.processor at once; then the process exits.
process.once('SIGINT', () => worker.shutdown())
