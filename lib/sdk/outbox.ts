import { WorkerError } from '../errors'
import { utf8Length } from '../protocol/bytes'

/** How much the worker client holds while it is not connected. */
export interface OutboxLimits {
  /** Frames held at most. Default 1000. */
  readonly maxEntries: number
  /** UTF-8 bytes held at most. Default 16 MiB, the engine's default `maxMessageBytes`, so one largest frame fits. */
  readonly maxBytes: number
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { maxEntries: 1000, maxBytes: 16 * 1024 * 1024 }

/**
 * Frames waiting for a connection, in the order they were added, bounded in entries and
 * bytes. Each has a key so it can be taken out at once when its invocation no longer wants
 * it sent (timed out, failed).
 */
export class Outbox {
  private readonly entries = new Map<string, { readonly text: string; readonly bytes: number }>()
  private heldBytes = 0

  constructor(readonly limits: OutboxLimits) {}

  get size(): number {
    return this.entries.size
  }

  get bytes(): number {
    return this.heldBytes
  }

  /** Adds a frame; returns false, holding nothing, when it would go over a limit. */
  add(key: string, text: string): boolean {
    const bytes = utf8Length(text)
    if (this.entries.size >= this.limits.maxEntries || this.heldBytes + bytes > this.limits.maxBytes) return false
    this.entries.set(key, { text, bytes })
    this.heldBytes += bytes
    return true
  }

  remove(key: string): void {
    const entry = this.entries.get(key)
    if (!entry) return
    this.entries.delete(key)
    this.heldBytes -= entry.bytes
  }

  /** Empties the outbox, returning its frames in order. */
  takeAll(): Array<[key: string, text: string]> {
    const taken = [...this.entries].map(([key, { text }]): [string, string] => [key, text])
    this.entries.clear()
    this.heldBytes = 0
    return taken
  }
}

/** The limits with `overrides` applied; each must be a positive integer. */
export function resolveOutboxLimits(overrides: Partial<OutboxLimits> = {}): OutboxLimits {
  const limits = { ...DEFAULT_OUTBOX_LIMITS, ...overrides }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new WorkerError('invalid_argument', `outbox.${name} must be a positive integer, got ${String(value)}`)
  }
  return limits
}
