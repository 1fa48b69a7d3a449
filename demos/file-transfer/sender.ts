// File transfer, caller: streams a file of any size through a channel to `file.receive`,
// drawing its progress on stderr, and prints the throughput.
// Usage: sender.ts ENGINE_URL [FILE | --size MiB]
import { createHash, randomBytes } from 'crypto'
import { createReadStream, createWriteStream, promises as fs } from 'fs'
import path from 'path'
import { lastValueFrom } from 'rxjs'
import { pipeline } from 'stream/promises'
import { countBytes, fromReadable, registerWorker } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'
import { progressReporter } from '../support/progress'
import { scratchDir } from '../support/scratch'

/** A file of random bytes in a scratch folder, which goes with this process, even on Ctrl-C. */
async function randomFile(sizeMiB: number): Promise<string> {
  const file = path.join(scratchDir('rx-channels-transfer-'), `random-${sizeMiB}MiB.bin`)
  const out = createWriteStream(file)
  for (let written = 0; written < sizeMiB; written++) {
    if (!out.write(randomBytes(1024 * 1024))) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
  return file
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}

async function main(): Promise<void> {
  const [, , , target = '--size', sizeArg = '64'] = process.argv
  const file = target === '--size' ? await randomFile(Number(sizeArg)) : target
  const { size } = await fs.stat(file)
  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'file-sender' })
  await worker.ready()

  const channel = await worker.createChannel()
  const started = process.hrtime.bigint()
  const received = worker.trigger<{ bytes: number; sha256: string }>({
    function_id: 'file.receive',
    payload: { reader: channel.readerRef },
    timeoutMs: 10 * 60_000,
  })
  const progress = progressReporter(size)
  // The file is read only as fast as the channel takes it; countBytes sees each chunk on its way.
  const sent = fromReadable(createReadStream(file, { highWaterMark: 64 * 1024 }))
    .pipe(countBytes(({ bytes, done }) => (done ? progress.finish() : progress.report(bytes, 'sent')), { everyBytes: 1024 * 1024 }))
    .to(channel.writer.chunks)
  const [result] = await Promise.all([received, lastValueFrom(sent)])
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const expected = await sha256Of(file)
  console.log(
    `RESULT ${JSON.stringify({
      bytes: result.bytes,
      intact: result.bytes === size && result.sha256 === expected,
      seconds: Number(seconds.toFixed(3)),
      mibPerSecond: Number((size / 1048576 / seconds).toFixed(1)),
    })}`,
  )
  await worker.shutdown()
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
