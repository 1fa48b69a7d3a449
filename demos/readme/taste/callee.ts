// callee.ts: serves data.processor until Ctrl-C.
import { registerWorker, type ChannelReader } from 'rx-channels'

const worker = registerWorker(process.env.RX_CHANNELS_URL ?? 'ws://127.0.0.1:49134')

// The ref in the payload arrives as a live ChannelReader.
worker.registerFunction('data.processor', async ({ label, reader }: { label: string; reader: ChannelReader }) => {
  const records = (await reader.readAll()).toString().split('\n').filter(Boolean).map((line) => JSON.parse(line))
  const sum = records.reduce((total, record) => total + record.value, 0)
  return { label, count: records.length, sum, average: sum / records.length }
})

worker.ready().then(() => console.log('data.processor is ready'))

// Ctrl-C: leave cleanly, so that the engine frees data.processor at once; then the process exits.
process.once('SIGINT', () => worker.shutdown())
