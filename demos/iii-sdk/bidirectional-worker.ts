// The bidirectional example's callee, written with the official `iii-sdk` client.
import { registerWorker } from 'iii-sdk'
import type { ChannelReader, ChannelWriter } from 'iii-sdk/channel'
import { engineUrlFromArgs } from '../support/processes'

async function main(): Promise<void> {
  const iii = registerWorker(engineUrlFromArgs(), { workerName: 'iii-stream-worker', otel: { enabled: false } })
  iii.registerFunction('stream.worker', async ({ reader, writer }: { reader: ChannelReader; writer: ChannelWriter }) => {
    let chunks = 0
    let bytes = 0
    let text = ''
    // 'data' events in flowing mode see each chunk as it arrived; `for await` may merge them.
    await new Promise<void>((resolve, reject) => {
      reader.stream.on('data', (chunk: Buffer) => {
        chunks++
        bytes += chunk.length
        text += chunk.toString('utf8')
        writer.sendMessage(JSON.stringify({ type: 'progress', chunks, bytes }))
      })
      reader.stream.once('end', resolve)
      reader.stream.once('error', reject)
    })
    const words = text.split(/\s+/).filter((word) => word !== '').length
    writer.sendMessage(JSON.stringify({ type: 'complete', chunks, bytes }))
    writer.stream.end(Buffer.from(text.toUpperCase(), 'utf8'))
    return { chunks, bytes, words }
  })
  await iii.trigger({ function_id: 'engine::functions::list', payload: {} })
  console.log('READY stream.worker (iii-sdk)')
  process.once('SIGTERM', () => void iii.shutdown().then(() => process.exit(0)))
}

void main()
