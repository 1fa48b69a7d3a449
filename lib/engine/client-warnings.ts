import type { LogFields, Logger } from '../log'

/** How long one kind of warning a client causes is logged once. */
export const CLIENT_WARNING_WINDOW_MS = 10_000

/**
 * Warnings that one client's frames cause (a call to a missing function, a rejected frame, a
 * refused registration), logged at most once per kind per window: a client repeating one
 * mistake thousands of times a second must not turn the engine's log into its flood. The next
 * line of a kind after its window says how many were left out. Kinds are a fixed few, never
 * a value the client chose, so the table stays small.
 */
export class ClientWarnings {
  private readonly kinds = new Map<string, { readonly since: number; suppressed: number }>()

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly windowMs: number = CLIENT_WARNING_WINDOW_MS,
  ) {}

  warn(kind: string, message: string, fields?: LogFields): void {
    const now = this.now()
    const seen = this.kinds.get(kind)
    if (seen !== undefined && now - seen.since < this.windowMs) {
      seen.suppressed++
      return
    }
    this.kinds.set(kind, { since: now, suppressed: 0 })
    const suppressed = seen?.suppressed ?? 0
    if (suppressed === 0) this.logger.warn(message, fields)
    else this.logger.warn(`${message} (and ${suppressed} more like it, not logged)`, { ...fields, suppressed })
  }
}
