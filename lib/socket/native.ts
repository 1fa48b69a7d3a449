/**
 * Whether ws found its optional native helper `bufferutil`. Client frames must be masked;
 * without it ws masks and unmasks in JavaScript, several times slower on large frames
 * (the engine unmasks every writer frame). rx-channels lists it as an optional dependency:
 * where it cannot be installed or loaded, ws falls back to the same functions in JavaScript.
 */
export function nativeMasking(): boolean {
  if (process.env.WS_NO_BUFFER_UTIL) return false
  try {
    require('bufferutil')
    return true
  } catch {
    return false
  }
}
