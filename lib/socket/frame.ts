/** One WebSocket data frame: binary frames carry the stream, text frames side messages. */
export interface Frame {
  readonly data: Buffer
  readonly binary: boolean
}

export const binaryFrame = (data: Buffer): Frame => ({ data, binary: true })
export const textFrame = (text: string): Frame => ({ data: Buffer.from(text, 'utf8'), binary: false })

/** Close reasons are limited to 123 bytes by RFC 6455; longer ones would make `close()` throw. */
export function closeReason(text: string): string {
  const bytes = new TextEncoder().encode(text)
  if (bytes.length <= 123) return text
  return new TextDecoder().decode(bytes.subarray(0, 120)).replace(/\uFFFD+$/, '') + '...'
}
