// A worker on our SDK for throughput runs. Usage: sdk-worker.ts URL send|receive [credit].
// With `credit`, its channel readers ask the engine for credit mode (channelReaderCredit).
// `bench.send` writes MiB into a channel, `bench.receive` reads one to its end; `path`
// picks the RxJS path (Flow.to, chunks$) or the Node stream path (writer.stream, reader.stream).
import { lastValueFrom } from 'rxjs'
import { pipeline } from 'stream/promises'
import { Readable, Writable } from 'stream'
import { fromAsyncIterable, registerWorker, silentLogger, type ChannelReader, type ChannelWriter } from '../../lib'
import { countFullGcs } from '../support/full-gcs'

const FRAME = 64 * 1024

async function* frames(sizeMiB: number): AsyncGenerator<Buffer> {
  const frame = Buffer.alloc(FRAME, 7)
  for (let index = 0; index < (sizeMiB * 1024 * 1024) / FRAME; index++) yield frame
}

async function main(): Promise<void> {
  const worker = registerWorker(process.argv[2], { logger: silentLogger, channelReaderCredit: process.argv[4] === 'credit' })
  const role = process.argv[3]
  if (role === 'send') worker.registerFunction('bench.send', async ({ writer, sizeMiB, path }: { writer: ChannelWriter; sizeMiB: number; path: 'rx' | 'stream' }) => {
    const fullGcs = countFullGcs()
    if (path === 'rx') await lastValueFrom(fromAsyncIterable(frames(sizeMiB)).to(writer.chunks))
    else await pipeline(Readable.from(frames(sizeMiB)), writer.stream)
    return { fullGcs: fullGcs() }
  })
  if (role === 'receive') worker.registerFunction('bench.receive', async ({ reader, path }: { reader: ChannelReader; path: 'rx' | 'stream' }) => {
    const fullGcs = countFullGcs()
    let bytes = 0
    let started = 0n
    const count = (chunk: Buffer) => {
      if (started === 0n) started = process.hrtime.bigint()
      bytes += chunk.length
    }
    if (path === 'rx') await new Promise<void>((resolve, reject) => reader.chunks$.subscribe({ next: count, error: reject, complete: resolve }))
    else await pipeline(reader.stream, new Writable({ write: (chunk: Buffer, _encoding, done) => (count(chunk), done()) }))
    const ended = process.hrtime.bigint()
    // hrtime is the machine's monotonic clock: concurrent channels' spans can be merged.
    return { bytes, seconds: Number(ended - started) / 1e9, startNs: Number(started), endNs: Number(ended), fullGcs: fullGcs() }
  })
  await worker.ready()
  console.log('READY')
  // Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
  process.once('SIGINT', () => process.exit(0))
}

void main()
