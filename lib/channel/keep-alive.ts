import type { Socket } from 'net'
import { performance } from 'perf_hooks'
import WebSocket from 'ws'
import { SocketProgress } from '../socket/progress'

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

/**
 * Pings the engine every `pingIntervalMs` in every state, including a closing handshake,
 * which has no absolute timer: as long as bytes keep moving the end waits. After
 * `deadAfterMs` without progress, `onDead` hears why and the socket is terminated. Stops on
 * close or when the returned function is called.
 */
export function keepAlive(
  ws: WebSocket,
  socket: Socket,
  writtenBytes: () => number,
  options: KeepAliveOptions,
  onDead: (reason: string) => void,
): () => void {
  const deadAfterMs = options.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS
  const progress = new SocketProgress(ws, socket, writtenBytes)
  let quietSince = performance.now()
  const timer = setInterval(() => {
    const now = performance.now()
    if (progress.advanced() || ws.isPaused) quietSince = now
    else if (now - quietSince >= deadAfterMs) {
      stop()
      onDead(`the engine made no progress (no pong, no byte sent or taken) in ${deadAfterMs} ms`)
      ws.terminate()
      return
    }
    if (ws.readyState === WebSocket.OPEN) ws.ping()
  }, options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS)
  // The socket keeps the process alive while it matters; its pings need not.
  timer.unref()
  const stop = () => {
    clearInterval(timer)
    progress.dispose()
    ws.off('close', stop)
  }
  ws.on('close', stop)
  return stop
}
