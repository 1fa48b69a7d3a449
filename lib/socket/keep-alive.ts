import type { Socket } from 'net'
import { performance } from 'perf_hooks'
import WebSocket from 'ws'
import { SocketProgress } from './progress'
import type { Liveness } from './wire'

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
  options: Liveness,
  onDead: (reason: string) => void,
): () => void {
  const { deadAfterMs, pingIntervalMs } = options
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
  }, pingIntervalMs)
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
