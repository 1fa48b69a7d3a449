import { isChannelRef, type StreamChannelRef } from '../protocol/refs'

/**
 * Replaces every channel ref found at any depth of a JSON payload (in objects and arrays)
 * with what `open` makes of it (a live end). Other values are returned as they are; the
 * input is not modified.
 */
export function replaceRefs(value: unknown, open: (ref: StreamChannelRef) => unknown): unknown {
  if (isChannelRef(value)) return open(value)
  if (Array.isArray(value)) return value.map((item) => replaceRefs(item, open))
  if (value !== null && typeof value === 'object') {
    // Own data properties, as JSON.parse makes them: assigning a `__proto__` key would set the prototype instead.
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceRefs(item, open)]))
  }
  return value
}
