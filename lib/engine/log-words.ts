import { clip } from '../protocol/decode'

/** The first 8 hex digits of a UUID: enough to tell workers and channels apart in a log. */
export function shortId(id: string): string {
  return id.slice(0, 8)
}

/** A duration as a person reads it: `0.4 ms`, `850 ms`, `12.3 s`, `4 min 2 s`. */
export function duration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

/** The `name` a worker gave in its metadata (both SDKs send one), clipped; undefined if it gave none. */
export function workerName(metadata: unknown): string | undefined {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return undefined
  const name = (metadata as { name?: unknown }).name
  return typeof name === 'string' && name.trim() !== '' ? clip(name.trim(), 64) : undefined
}

/** `1 frame`, `2 frames`: a count with its noun. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
