/** The size of `value` as JSON, in UTF-8 bytes; undefined if it cannot be serialized (nested too deep). */
export function jsonBytes(value: unknown): number | undefined {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8')
  } catch {
    return undefined
  }
}
