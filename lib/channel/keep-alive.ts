/** How a channel end keeps its socket alive and tells a dead engine from a slow one. */
export interface KeepAliveOptions {
  /**
   * How often the end pings the engine. Default 10 s, under the engine's default heartbeat
   * (30 s): a reader that has paused its own socket cannot answer the engine's pings, and
   * its own pings are what show the engine it is alive. Keep it under the engine's `heartbeatMs`.
   */
  readonly pingIntervalMs?: number
  /**
   * How long the engine may show no progress (no byte from it, none of ours taken, no pong)
   * before the end fails with `channel_closed`. Default 60 s: a writer the engine holds back
   * for a slow reader hears only the engine's pings, once per engine heartbeat. Not judged
   * while the end has paused its own socket.
   */
  readonly deadAfterMs?: number
}

export const DEFAULT_PING_INTERVAL_MS = 10_000
export const DEFAULT_DEAD_AFTER_MS = 60_000
