// File transfer, caller: streams a file of any size through a channel to `file.receive`
// and prints the throughput. Usage: sender.ts ENGINE_URL [FILE | --size MiB]
import { createHash, randomBytes } from 'crypto'
import { createReadStream, createWriteStream, promises as fs } from 'fs'
import { tmpdir } from 'os'
import path from 'path'
import { pipeline } from 'stream/promises'
import { registerWorker } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'

async function randomFile(sizeMiB: number): Promise<string> {
  const file = path.join(await fs.mkdtemp(path.join(tmpdir(), 'rx-channels-')), `random-${sizeMiB}MiB.bin`)
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
  await pipeline(createReadStream(file, { highWaterMark: 64 * 1024 }), channel.writer.stream)
  const result = await received
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const expected = await sha256Of(file)
  const mib = size / (1024 * 1024)
  console.log(
    `RESULT ${JSON.stringify({
      file,
      bytes: result.bytes,
      intact: result.bytes === size && result.sha256 === expected,
      seconds: Number(seconds.toFixed(3)),
      mibPerSecond: Number((mib / seconds).toFixed(1)),
    })}`,
  )
  if (target === '--size') await fs.rm(path.dirname(file), { recursive: true, force: true })
  await worker.shutdown()
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
