// The same worker with the official iii-sdk client, on our engine. Usage: iii-worker.ts URL send|receive.
import { pipeline } from 'stream/promises'
import { Readable, Writable } from 'stream'
import { registerWorker } from 'iii-sdk'
import type { ChannelReader, ChannelWriter } from 'iii-sdk/channel'
import { ownCpuSeconds } from '../support/cpu'
import { countFullGcs } from '../support/full-gcs'
import { PatternCheck, patternFrames } from '../support/pattern'

async function* frames(bytes: number, frameBytes: number): AsyncGenerator<Buffer> {
  yield* patternFrames(bytes, frameBytes)
}

async function main(): Promise<void> {
  const iii = registerWorker(process.argv[2], { otel: { enabled: false }, enableMetricsReporting: false })
  const role = process.argv[3]
  if (role === 'send') iii.registerFunction('bench.send', async ({ writer, bytes, frameBytes }: { writer: ChannelWriter; bytes: number; frameBytes: number }) => {
    const fullGcs = countFullGcs()
    const cpuAtStart = ownCpuSeconds()
    await pipeline(Readable.from(frames(bytes, frameBytes)), writer.stream)
    return { fullGcs: fullGcs(), cpuSeconds: ownCpuSeconds() - cpuAtStart }
  })
  if (role === 'receive') iii.registerFunction('bench.receive', async ({ reader, bytes }: { reader: ChannelReader; bytes: number }) => {
    const fullGcs = countFullGcs()
    const cpuAtStart = ownCpuSeconds()
    const check = new PatternCheck(bytes)
    await pipeline(reader.stream, new Writable({ write: (chunk: Buffer, _encoding, done) => (check.update(chunk), done()) }))
    check.end()
    return { bytes: check.bytes, firstByteNs: check.firstByteNs, endNs: Number(process.hrtime.bigint()), fullGcs: fullGcs(), cpuSeconds: ownCpuSeconds() - cpuAtStart }
  })
  await iii.trigger({ function_id: 'engine::functions::list', payload: {} })
  console.log('READY')
  // Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
  process.once('SIGINT', () => process.exit(0))
}

void main()
