import { STATUS_CODES } from 'http'
import type { Observer } from 'rxjs'
import type { Duplex } from 'stream'
import type { EngineEvent } from './events'

export type Refuse = typeof refuseUpgrade

/** {@link refuseUpgrade} that also tells `events` (`socket_refused`), which metrics count. */
export function refusingWith(events: Observer<EngineEvent>): Refuse {
  return (socket, status, reason, headers) => {
    events.next({ type: 'socket_refused', status })
    refuseUpgrade(socket, status, reason, headers)
  }
}

/** Answers an upgrade request with a plain HTTP error, so the client learns why. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  const body = `${reason}\n`
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      extra +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body,
  )
}
