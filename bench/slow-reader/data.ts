import { createHash, randomBytes } from 'crypto'

const MiB = 1024 * 1024
const BLOCK = randomBytes(MiB)

/** `sizeMiB` chunks of 1 MiB, each distinct (its index in the first bytes), generated lazily. */
export function* testData(sizeMiB: number): Generator<Buffer> {
  for (let index = 0; index < sizeMiB; index++) {
    const chunk = Buffer.from(BLOCK)
    chunk.writeUInt32BE(index, 0)
    yield chunk
  }
}

export const sha256 = () => createHash('sha256')
