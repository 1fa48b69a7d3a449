// A worker on our SDK for the cluster bench. Usage: worker.ts URL NAME. Registers
// `bench.send.NAME` (MiB of 64 KiB frames, each stamped with its index, so that a lost or
// reordered frame changes the hash; returns their SHA-256), `bench.receive.NAME` (reads a
// channel to its end; returns the SHA-256 and count of its bytes) and `bench.echo.NAME`.
import { createHash, randomBytes } from 'crypto'
import { pipeline } from 'stream/promises'
import { Readable, Writable } from 'stream'
import { registerWorker, silentLogger, type ChannelReader, type ChannelWriter } from '../../lib'

const FRAME = 64 * 1024

function* frames(sizeMiB: number, hash: ReturnType<typeof createHash>): Generator<Buffer> {
  const pattern = randomBytes(FRAME)
  for (let index = 0; index < (sizeMiB * 1024 * 1024) / FRAME; index++) {
    const frame = Buffer.from(pattern)
    frame.writeUInt32LE(index, 0)
    hash.update(frame)
    yield frame
  }
}

async function main(): Promise<void> {
  const [, , url, name] = process.argv
  const worker = registerWorker(url, { logger: silentLogger, workerName: `bench-${name}` })
  worker.registerFunction(`bench.send.${name}`, async ({ writer, sizeMiB }: { writer: ChannelWriter; sizeMiB: number }) => {
    const hash = createHash('sha256')
    await pipeline(Readable.from(frames(sizeMiB, hash)), writer.stream)
    return { bytes: sizeMiB * 1024 * 1024, sha256: hash.digest('hex') }
  })
  worker.registerFunction(`bench.receive.${name}`, async ({ reader }: { reader: ChannelReader }) => {
    const hash = createHash('sha256')
    let bytes = 0
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        hash.update(chunk)
        bytes += chunk.length
        done()
      },
    })
    await pipeline(reader.stream, sink)
    return { bytes, sha256: hash.digest('hex') }
  })
  worker.registerFunction(`bench.echo.${name}`, (payload: unknown) => payload)
  await worker.ready()
  console.log('READY')
  process.once('SIGTERM', () => void worker.shutdown().then(() => process.exit(0)))
}

void main()
