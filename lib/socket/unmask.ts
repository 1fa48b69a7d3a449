/**
 * Unmasks `data` in place with the 4-byte `mask`, its first byte being byte `offset` of the
 * masked payload, so a payload that arrives in pieces is unmasked piece by piece. Uses the
 * native `bufferutil` where ws would (see {@link nativeMasking}), else the same XOR in JavaScript.
 */
export function unmaskAt(data: Buffer, mask: Buffer, offset: number): void {
  const turn = offset & 3
  if (turn === 0) return unmask(data, mask)
  for (let index = 0; index < 4; index++) rotated[index] = mask[(index + turn) & 3]
  unmask(data, rotated)
}

const rotated = Buffer.alloc(4)

/** Below this size the JavaScript loop beats a call into native code (ws draws the line at 32 bytes too). */
const NATIVE_MIN_BYTES = 32

function unmaskInJs(data: Buffer, mask: Buffer): void {
  for (let index = 0; index < data.length; index++) data[index] ^= mask[index & 3]
}

function loadNative(): ((data: Buffer, mask: Buffer) => void) | undefined {
  if (process.env.WS_NO_BUFFER_UTIL) return undefined
  try {
    return (require('bufferutil') as { unmask?: (data: Buffer, mask: Buffer) => void }).unmask
  } catch {
    return undefined
  }
}

const native = loadNative()

function unmask(data: Buffer, mask: Buffer): void {
  if (native && data.length >= NATIVE_MIN_BYTES) native(data, mask)
  else unmaskInJs(data, mask)
}
