import WebSocket from 'ws'
import { closeReason } from './frame'

/**
 * Closes a socket with a code and reason whatever its state. A paused socket is resumed
 * first: the closing handshake needs the peer's close frame to be read, and without it ws
 * waits out its 30 s close timeout. A socket still connecting is aborted.
 */
export function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === WebSocket.CONNECTING) {
    ws.terminate()
    return
  }
  if (ws.readyState !== WebSocket.OPEN) return
  if (ws.isPaused) ws.resume()
  ws.close(code, closeReason(reason))
}
