import type { IncomingMessage } from 'http'
import type { Socket } from 'net'
import type { Duplex } from 'stream'
import type WebSocket from 'ws'
import type { EngineState } from './engine-state'
import { reattach } from './reattach'
import { listenForPongs } from './worker-heartbeat'
import { WorkerConnection } from './worker-connection'
import { logWorkerConnected, logWorkerDisconnected } from './worker-log'
import { serveWorker } from './worker-session'

/**
 * Takes in an upgraded worker socket: the worker is listed and served until its socket closes;
 * then its callers learn, and its channels fail unless `dropChannels` is false.
 */
export function acceptWorker(ws: WebSocket, socket: Duplex, request: IncomingMessage, state: EngineState, dropChannels: boolean): void {
  const { limits, logger, events, channels, functions, invocations, workers, sockets } = state
  sockets.track(ws, 'worker')
  const worker = new WorkerConnection(ws, socket, { limits, logger, events })
  workers.set(worker.id, worker)
  functions.join(worker)
  listenForPongs(worker)
  logWorkerConnected(logger, worker, peerAddress(request.socket))
  events.next({ type: 'worker_connected', worker_id: worker.id })
  const retire = (reattached: WorkerConnection, previousWorkerId: string, token: string) =>
    reattach(reattached, previousWorkerId, token, { workers, functions, logger })
  void serveWorker(worker, { channels, functions, workers, invocations, logger, events, retire, maxMessageBytes: limits.maxMessageBytes }).then((end) => {
    workers.delete(worker.id)
    functions.leave(worker, end.clean)
    // Callers and channel ends read this: the full id, as the engine gave it to workers.
    const reason = `worker ${worker.id} ${worker.dropReason === undefined ? 'disconnected' : `dropped: ${worker.dropReason}`}`
    invocations.workerGone(worker, reason)
    if (dropChannels) channels.dropOwnedBy(worker.id, reason)
    logWorkerDisconnected(logger, worker, end)
    events.next({ type: 'worker_disconnected', worker_id: worker.id })
  })
}

/** `host:port` of a peer, IPv6 hosts in brackets. */
function peerAddress(socket: Socket): string {
  const host = socket.remoteAddress ?? 'unknown'
  return `${host.includes(':') ? `[${host}]` : host}:${socket.remotePort ?? '?'}`
}
