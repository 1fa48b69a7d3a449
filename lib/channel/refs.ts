import { isChannelRef, type StreamChannelRef } from '../protocol/refs'
import { ChannelReader, type ChannelEndOptions } from './reader'
import { ChannelWriter } from './writer'

export type ChannelEnd = ChannelReader | ChannelWriter

/** The live end a ref names: a reader for a read ref, a writer for a write ref. */
export function openChannelEnd(ref: StreamChannelRef, options: ChannelEndOptions): ChannelEnd {
  return ref.direction === 'read' ? new ChannelReader(ref, options) : new ChannelWriter(ref, options)
}

/**
 * Replaces every channel ref found at any depth of a JSON payload (in objects and arrays)
 * with a live end. Other values are returned as they are; the input is not modified.
 */
export function materializeRefs(value: unknown, options: ChannelEndOptions): unknown {
  if (isChannelRef(value)) return openChannelEnd(value, options)
  if (Array.isArray(value)) return value.map((item) => materializeRefs(item, options))
  if (value !== null && typeof value === 'object') {
    // Own data properties, as JSON.parse makes them: assigning a `__proto__` key would set the prototype instead.
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, materializeRefs(item, options)]))
  }
  return value
}
