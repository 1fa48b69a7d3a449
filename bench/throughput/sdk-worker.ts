// A worker on our SDK for throughput runs. Usage: sdk-worker.ts URL send|receive [credit].
// With `credit`, its channel readers ask the engine for credit mode (channelReaderCredit).
// `bench.send` writes `bytes` of the pattern into a channel in `frameBytes` writes,
// `bench.receive` reads one to its end and checks every byte against the pattern; `path`
// picks the RxJS path (Flow.to, chunks$) or the Node stream path (writer.stream, reader.stream).
import { lastValueFrom } from 'rxjs'
import { pipeline } from 'stream/promises'
import { Readable, Writable } from 'stream'
import { fromAsyncIterable, registerWorker, silentLogger, type ChannelReader, type ChannelWriter } from '../../lib'
import { ownCpuSeconds } from '../support/cpu'
import { countFullGcs } from '../support/full-gcs'
import { PatternCheck, patternFrames } from '../support/pattern'

type Path = 'rx' | 'stream'

async function* frames(bytes: number, frameBytes: number): AsyncGenerator<Buffer> {
  yield* patternFrames(bytes, frameBytes)
}

async function main(): Promise<void> {
  const worker = registerWorker(process.argv[2], { logger: silentLogger, channelReaderCredit: process.argv[4] === 'credit' })
  const role = process.argv[3]
  if (role === 'send') worker.registerFunction('bench.send', async ({ writer, bytes, frameBytes, path }: { writer: ChannelWriter; bytes: number; frameBytes: number; path: Path }) => {
    const fullGcs = countFullGcs()
    const cpuAtStart = ownCpuSeconds()
    if (path === 'rx') await lastValueFrom(fromAsyncIterable(frames(bytes, frameBytes)).to(writer.chunks))
    else await pipeline(Readable.from(frames(bytes, frameBytes)), writer.stream)
    return { fullGcs: fullGcs(), cpuSeconds: ownCpuSeconds() - cpuAtStart }
  })
  if (role === 'receive') worker.registerFunction('bench.receive', async ({ reader, bytes, path }: { reader: ChannelReader; bytes: number; path: Path }) => {
    const fullGcs = countFullGcs()
    const cpuAtStart = ownCpuSeconds()
    const check = new PatternCheck(bytes)
    if (path === 'rx') await new Promise<void>((resolve, reject) => reader.chunks$.subscribe({ next: (chunk) => check.update(chunk), error: reject, complete: resolve }))
    else await pipeline(reader.stream, new Writable({ write: (chunk: Buffer, _encoding, done) => (check.update(chunk), done()) }))
    check.end()
    // hrtime is the machine's monotonic clock: the bench compares it with its own request time.
    return { bytes: check.bytes, firstByteNs: check.firstByteNs, endNs: Number(process.hrtime.bigint()), fullGcs: fullGcs(), cpuSeconds: ownCpuSeconds() - cpuAtStart }
  })
  await worker.ready()
  console.log('READY')
  // Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
  process.once('SIGINT', () => process.exit(0))
}

void main()
