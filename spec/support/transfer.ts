import { createHash, randomBytes } from 'crypto'
import type { Writable } from 'stream'

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
