/** Reconnect policy: exponential backoff with jitter, as the official client does. */
export interface ReconnectPolicy {
  readonly initialDelayMs: number
  readonly maxDelayMs: number
  readonly factor: number
  /** Fraction of the delay added or removed at random, so restarted engines are not stampeded. */
  readonly jitter: number
  /** -1 retries forever. */
  readonly maxRetries: number
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.3,
  maxRetries: -1,
}

/** The delay before reconnect attempt `attempt` (0-based). */
export function backoffDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const capped = Math.min(policy.initialDelayMs * policy.factor ** attempt, policy.maxDelayMs)
  return Math.max(0, Math.floor(capped + capped * policy.jitter * (2 * random() - 1)))
}
