import type { Logger } from '../log'
import type { EngineStats } from './engine-stats'
import { count, duration } from './log-words'

/** The info line of a finished shutdown: what was still open when it began, and how long it took. */
export function logShutdown(logger: Logger, open: EngineStats, durationMs: number): void {
  logger.info(
    `engine shut down in ${duration(durationMs)}; open when it began: ${count(open.workers, 'worker')}, ${count(open.channels, 'channel')}, ` +
      `${count(open.pendingInvocations, 'pending invocation')}, ${count(open.sockets, 'socket')}, ${count(open.connections, 'connection')}`,
    {
      duration_ms: Math.round(durationMs),
      workers: open.workers,
      channels: open.channels,
      pending_invocations: open.pendingInvocations,
      sockets: open.sockets,
      connections: open.connections,
    },
  )
}
