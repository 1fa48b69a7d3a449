// File transfer, callee: `file.receive` reads a channel to its end, hashing what arrives,
// and optionally writes it to a file.
import { createHash } from 'crypto'
import { createWriteStream } from 'fs'
import { PassThrough, Writable } from 'stream'
import { pipeline } from 'stream/promises'
import { registerWorker, type ChannelReader } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'

interface ReceiveInput {
  readonly reader: ChannelReader
  /** Where to store the file; omitted, the bytes are only hashed. */
  readonly saveAs?: string
}

async function main(): Promise<void> {
  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'file-receiver' })
  worker.registerFunction({ id: 'file.receive', description: 'Receives a file through a channel' }, async ({ reader, saveAs }: ReceiveInput) => {
    const hash = createHash('sha256')
    let bytes = 0
    const tap = new PassThrough()
    tap.on('data', (chunk: Buffer) => {
      hash.update(chunk)
      bytes += chunk.length
    })
    const sink: Writable = saveAs === undefined ? new Writable({ write: (_chunk, _encoding, done) => done() }) : createWriteStream(saveAs)
    await pipeline(reader.stream, tap, sink)
    return { bytes, sha256: hash.digest('hex') }
  })
  await worker.ready()
  console.log('READY file.receive')
  process.once('SIGTERM', () => void worker.shutdown())
}

void main()
