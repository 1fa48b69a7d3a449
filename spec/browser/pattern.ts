/**
 * A stream of any length whose every byte is known from its offset alone, so a page can make
 * or check 256 MiB without keeping it: each 64 KiB block starts with its index (uint32 LE),
 * then `(j * 7 + block) & 0xff`. A lost, repeated or reordered block shows at its first bytes.
 * Written as one self-contained function so a page can be sent its source.
 */
export function fillPattern(target: Uint8Array, offset: number): Uint8Array {
  for (let index = 0; index < target.length; index++) {
    const position = offset + index
    const block = Math.floor(position / 65536)
    const within = position % 65536
    target[index] = within < 4 ? (block >>> (8 * within)) & 0xff : (within * 7 + block) & 0xff
  }
  return target
}

export const MiB = 1024 * 1024
