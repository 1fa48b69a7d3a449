// The same worker with the official iii-sdk client, on our engine. Usage: iii-worker.ts URL send|receive.
import { pipeline } from 'stream/promises'
import { Readable, Writable } from 'stream'
import { registerWorker } from 'iii-sdk'
import type { ChannelReader, ChannelWriter } from 'iii-sdk/channel'
import { countFullGcs } from '../support/full-gcs'

const FRAME = 64 * 1024

async function* frames(sizeMiB: number): AsyncGenerator<Buffer> {
  const frame = Buffer.alloc(FRAME, 7)
  for (let index = 0; index < (sizeMiB * 1024 * 1024) / FRAME; index++) yield frame
}

async function main(): Promise<void> {
  const iii = registerWorker(process.argv[2], { otel: { enabled: false }, enableMetricsReporting: false })
  const role = process.argv[3]
  if (role === 'send') iii.registerFunction('bench.send', async ({ writer, sizeMiB }: { writer: ChannelWriter; sizeMiB: number }) => {
    const fullGcs = countFullGcs()
    await pipeline(Readable.from(frames(sizeMiB)), writer.stream)
    return { fullGcs: fullGcs() }
  })
  if (role === 'receive') iii.registerFunction('bench.receive', async ({ reader }: { reader: ChannelReader }) => {
    const fullGcs = countFullGcs()
    let bytes = 0
    let started = 0n
    await pipeline(
      reader.stream,
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          if (started === 0n) started = process.hrtime.bigint()
          bytes += chunk.length
          done()
        },
      }),
    )
    return { bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9, fullGcs: fullGcs() }
  })
  await iii.trigger({ function_id: 'engine::functions::list', payload: {} })
  console.log('READY')
  // Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
  process.once('SIGINT', () => process.exit(0))
}

void main()
