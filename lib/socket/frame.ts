/** One WebSocket data frame: binary frames carry the stream, text frames side messages. */
export interface Frame {
  readonly data: Buffer
  readonly binary: boolean
}

export const binaryFrame = (data: Buffer): Frame => ({ data, binary: true })
export const textFrame = (text: string): Frame => ({ data: Buffer.from(text, 'utf8'), binary: false })

/** Close reasons are limited to 123 bytes by RFC 6455; longer ones would make `close()` throw. */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length <= 123) return text
  return bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD+$/, '') + '...'
}
