import { createHash, randomBytes } from 'crypto'
import { lastValueFrom, toArray } from 'rxjs'
import type { Writable } from 'stream'
import type { ChannelReader } from '../../lib'

/** What one side of a transfer saw: the bytes' hash and count, and the text messages in order. */
export interface Transfer {
  readonly sha256: string
  readonly bytes: number
  readonly messages: string[]
}

/** A channel writer of either client: ours and iii-sdk's both have these two. */
export interface AnyChannelWriter {
  readonly stream: Writable
  sendMessage(message: string): void
}

const MiB = 1024 * 1024

/** Writes `sizeMiB` of random bytes with a text message after every MiB, honouring backpressure; returns what it sent. */
export async function produceRandom(writer: AnyChannelWriter, sizeMiB: number): Promise<Transfer> {
  const hash = createHash('sha256')
  const messages: string[] = []
  for (let index = 0; index < sizeMiB; index++) {
    const chunk = randomBytes(MiB)
    hash.update(chunk)
    if (!writer.stream.write(chunk)) await new Promise((resolve) => writer.stream.once('drain', resolve))
    const message = `sent ${index + 1} MiB`
    writer.sendMessage(message)
    messages.push(message)
  }
  await new Promise<void>((resolve) => writer.stream.end(resolve))
  return { sha256: hash.digest('hex'), bytes: sizeMiB * MiB, messages }
}

/** Reads a channel with our SDK to its end: the bytes' hash and count, and every text message in order. */
export async function digestChannel(reader: ChannelReader): Promise<Transfer> {
  const messages = lastValueFrom(reader.messages$.pipe(toArray()))
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of reader.stream) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { sha256: hash.digest('hex'), bytes, messages: await messages }
}
