// The bytes every throughput transfer moves: a deterministic pseudo-random stream, the same in
// every process, that the reader checks byte for byte as it arrives (a memcmp, far cheaper than
// a hash, so the check does not weigh on the rates). Frames are views of one buffer, so the
// writer allocates nothing per frame for its data, like a worker re-sending one buffer would.
// The period is odd, so no two frames of a transfer under 64 GiB are alike: a lost, repeated
// or reordered frame fails the check, as does any changed byte.

const PERIOD = 1024 * 1024 - 3
/** The largest slice a check compares at once; frames up to this size are views without a wrap. */
const MAX_SLICE = 1024 * 1024

function patternBuffer(): Buffer {
  const buffer = Buffer.allocUnsafe(PERIOD + MAX_SLICE)
  let state = 0x9e3779b9
  for (let index = 0; index < PERIOD; index++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    buffer[index] = state & 0xff
  }
  buffer.copy(buffer, PERIOD, 0, MAX_SLICE)
  return buffer
}

const PATTERN = patternBuffer()

/** `bytes` of the stream in `frameBytes` frames (the last one shorter if they do not divide). */
export function* patternFrames(bytes: number, frameBytes: number): Generator<Buffer> {
  if (frameBytes > MAX_SLICE) throw new RangeError(`frames of at most ${MAX_SLICE} bytes`)
  for (let offset = 0; offset < bytes; offset += frameBytes) {
    const start = offset % PERIOD
    yield PATTERN.subarray(start, start + Math.min(frameBytes, bytes - offset))
  }
}

/** Checks received chunks against the stream; throws at the first byte amiss, or on an end short of or past `expected`. */
export class PatternCheck {
  private offset = 0
  /** When the first chunk arrived, on the machine's monotonic clock (hrtime, comparable across processes); 0 until then. */
  firstByteNs = 0

  constructor(private readonly expected: number) {}

  get bytes(): number {
    return this.offset
  }

  update(chunk: Buffer): void {
    if (this.firstByteNs === 0) this.firstByteNs = Number(process.hrtime.bigint())
    if (this.offset + chunk.length > this.expected) throw new Error(`received more than the ${this.expected} bytes sent`)
    for (let at = 0; at < chunk.length; at += MAX_SLICE) {
      const piece = chunk.subarray(at, at + MAX_SLICE)
      const start = (this.offset + at) % PERIOD
      if (!piece.equals(PATTERN.subarray(start, start + piece.length))) throw new Error(`bytes amiss in the ${piece.length} received at offset ${this.offset + at}`)
    }
    this.offset += chunk.length
  }

  /** Throws unless exactly the expected bytes arrived. */
  end(): void {
    if (this.offset !== this.expected) throw new Error(`the stream ended after ${this.offset} of ${this.expected} bytes`)
  }
}

/** The exact byte count of `sizeMiB` (which may be fractional, e.g. a share of a total). */
export function bytesOfMiB(sizeMiB: number): number {
  return Math.round(sizeMiB * 1024 * 1024)
}
