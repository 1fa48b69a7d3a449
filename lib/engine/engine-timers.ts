import type { EngineState } from './engine-state'
import { sweepInterval } from './sweep-interval'
import { pingWorkers } from './worker-heartbeat'

export interface EngineTimers {
  stop(): void
}

/** The engine's periodic work: the worker heartbeat, the channel heartbeat, and the sweep of channels past their TTL. */
export function startTimers({ workers, channels, proxies, limits, logger }: EngineState, heartbeatMs: number): EngineTimers {
  const timers = [
    setInterval(() => pingWorkers(workers.values(), heartbeatMs, logger), heartbeatMs),
    setInterval(() => channels.beat(), heartbeatMs),
    setInterval(() => proxies.beat(), heartbeatMs),
    // Twice per beat, so that a home node's heartbeat, on its own clock, sees a ping in each of its periods.
    setInterval(() => proxies.keepHomesAlive(), Math.max(1, heartbeatMs >> 1)),
    // One timer for every channel, rather than one per channel.
    setInterval(() => channels.sweep(), sweepInterval(limits.channelTtlMs)),
  ]
  for (const timer of timers) timer.unref()
  return { stop: () => timers.forEach((timer) => clearInterval(timer)) }
}
