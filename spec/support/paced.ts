import { createHash, randomBytes } from 'crypto'
import { Writable } from 'stream'
import { lastValueFrom } from 'rxjs'
import type { ChannelWriter } from '../../lib'

/** What a paced reader took: the bytes' hash and count. */
export interface Taken {
  readonly sha256: string
  readonly bytes: number
}

/**
 * A slow consumer: takes each chunk, then holds its callback for as long as `bytesPerSecond`
 * allows, so the Readable piped into it stops reading and its backpressure reaches the socket.
 */
export function pacedSink(bytesPerSecond: number): Writable & { readonly taken: Promise<Taken> } {
  const hash = createHash('sha256')
  let bytes = 0
  let settle!: (taken: Taken) => void
  const taken = new Promise<Taken>((resolve) => (settle = resolve))
  const sink = new Writable({
    highWaterMark: 0,
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk)
      bytes += chunk.length
      setTimeout(callback, (chunk.length / bytesPerSecond) * 1000)
    },
    final(callback) {
      settle({ sha256: hash.digest('hex'), bytes })
      callback()
    },
  })
  return Object.assign(sink, { taken })
}

/** Writes `sizeMiB` of random bytes as fast as the writer takes them, then ends it; resolves once `end()` has. */
export async function writeRandom(writer: ChannelWriter, sizeMiB: number): Promise<Taken> {
  const hash = createHash('sha256')
  for (let index = 0; index < sizeMiB; index++) {
    const chunk = randomBytes(1024 * 1024)
    hash.update(chunk)
    if (!writer.stream.write(chunk)) await new Promise((resolve) => writer.stream.once('drain', resolve))
  }
  await new Promise<void>((resolve, reject) => {
    writer.stream.once('error', reject)
    writer.stream.end(resolve)
  })
  return { sha256: hash.digest('hex'), bytes: sizeMiB * 1024 * 1024 }
}

/**
 * Writes `sizeMiB` of random bytes in one go, without waiting for the writer to take them, and
 * ends it at once: its close frame queues behind all of them. Resolves once the end is acknowledged.
 */
export async function writeRandomAtOnce(writer: ChannelWriter, sizeMiB: number): Promise<Taken> {
  const hash = createHash('sha256')
  for (let index = 0; index < sizeMiB; index++) {
    const chunk = randomBytes(1024 * 1024)
    hash.update(chunk)
    writer.write(chunk)
  }
  writer.close()
  await lastValueFrom(writer.closed$, { defaultValue: undefined })
  return { sha256: hash.digest('hex'), bytes: sizeMiB * 1024 * 1024 }
}
