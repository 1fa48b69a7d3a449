import type { EngineState } from './engine-state'
import type { EngineServer } from './server'
import type { WorkerConnection } from './worker-connection'

export interface EngineStats {
  readonly workers: number
  readonly functions: number
  readonly channels: number
  /** Frames the engine holds for readers right now, across all channels. */
  readonly heldFrames: number
  /** Bytes the engine holds for readers right now, across all channels. */
  readonly heldBytes: number
  /** Channel ends this node proxies to the nodes their channels live on. */
  readonly proxiedEnds: number
  /** Bytes held for proxied ends right now, both directions (at most `maxProxyBytesPerEnd` each, plus one read). */
  readonly proxiedBytes: number
  readonly pendingInvocations: number
  /** Bytes queued to worker sockets and not yet taken by their workers, across all workers. */
  readonly queuedBytes: number
  /** Invocations refused since the engine started because their callee was backed up (`worker_backed_up`). */
  readonly shedInvocations: number
  readonly sockets: number
  /** Open TCP connections the engine admitted, upgraded or not yet, and those it opened to proxy channel ends (what `maxConnections` counts). */
  readonly connections: number
}

/** The engine's counts right now, as `engine.stats()` and `/health` report them. */
export function engineStats({ workers, functions, channels, proxies, invocations, sockets }: EngineState, server: EngineServer): EngineStats {
  return {
    workers: workers.size,
    functions: functions.size,
    channels: channels.size,
    heldFrames: channels.heldFrames,
    heldBytes: channels.heldBytes,
    proxiedEnds: proxies.size,
    proxiedBytes: proxies.heldBytes,
    pendingInvocations: invocations.size,
    queuedBytes: queuedBytes(workers.values()),
    shedInvocations: invocations.shed,
    sockets: sockets.size,
    connections: server.connections(),
  }
}

/** What all workers have queued and not read; summed when asked, so the send path counts nothing. */
function queuedBytes(workers: Iterable<WorkerConnection>): number {
  let total = 0
  for (const worker of workers) total += worker.backlog.queuedBytes
  return total
}
