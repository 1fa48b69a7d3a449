import { performance } from 'perf_hooks'
import { CloseCode } from '../protocol/close-codes'
import type { EngineState } from './engine-state'
import type { EngineStats } from './engine-stats'
import type { EngineTimers } from './engine-timers'
import type { EngineServer } from './server'
import { logShutdown } from './shutdown-log'
import type { TelemetrySockets } from './telemetry'

/** What callers, channel ends and refused upgrades are told while the engine shuts down. */
export const SHUTDOWN_REASON = 'engine shutting down'
const SHUTDOWN_GRACE_MS = 2_000

export interface ShutdownParts {
  readonly server: EngineServer
  readonly timers: EngineTimers
  readonly telemetry: TelemetrySockets
  readonly stats: () => EngineStats
  /** Lets go of the routing's own connections (a cluster node leaves its cluster). */
  readonly leave: () => Promise<void>
}

/** Stops accepting, fails what is in flight with {@link SHUTDOWN_REASON}, closes every socket, then completes `events`. */
export async function shutDown(state: EngineState, { server, timers, telemetry, stats, leave }: ShutdownParts): Promise<void> {
  const startedAt = performance.now()
  const open = stats()
  timers.stop()
  telemetry.stop()
  const serverClosed = new Promise<void>((resolve) => server.http.close(() => resolve()))
  // Results go out before the close frames, on the same sockets, so callers see why.
  state.invocations.failAll({ code: 'engine_shutting_down', message: SHUTDOWN_REASON })
  state.channels.abortAll(CloseCode.GoingAway, SHUTDOWN_REASON)
  await Promise.all([
    state.proxies.closeAll(CloseCode.GoingAway, SHUTDOWN_REASON, SHUTDOWN_GRACE_MS),
    state.sockets.closeAll(CloseCode.GoingAway, SHUTDOWN_REASON, SHUTDOWN_GRACE_MS),
  ])
  server.http.closeAllConnections()
  await serverClosed
  await leave()
  logShutdown(state.logger, open, performance.now() - startedAt)
  state.events.complete()
}
