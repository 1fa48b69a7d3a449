import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'http'
import { createServer as createHttpsServer } from 'https'
import type { Socket } from 'net'
import type { Duplex } from 'stream'
import { createSecureContext, TLSSocket } from 'tls'
import type { Observer } from 'rxjs'
import type { Logger } from '../log'
import type { EngineEvent } from './events'
import type { ConnectionLimiter, ConnectionRefusal } from './connection-limiter'
import { refusingWith, type Refuse } from './http'
import type { EngineLimits } from './limits'
import { sweepInterval } from './sweep-interval'

export interface EngineServerOptions {
  readonly limits: EngineLimits
  readonly logger: Logger
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer }
  readonly onRequest: (request: IncomingMessage, response: ServerResponse) => void
  readonly onUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void
  /** Counts the connections; shared with what opens connections of its own (proxied channel ends). */
  readonly limiter: ConnectionLimiter
  /** Told of every connection refused here. */
  readonly events: Observer<EngineEvent>
}

/**
 * The engine's HTTP(S) server: every TCP connection counts against `maxConnections` and
 * `maxConnectionsPerAddress` before any byte of it is parsed, and requests, upgrades and TLS
 * handshakes must complete within `upgradeTimeoutMs`. Connections over a cap are answered
 * with their HTTP status.
 */
export interface EngineServer {
  readonly http: HttpServer
  /** Connections open now: admitted ones, and those the engine opened to proxy channel ends. */
  connections(): number
}

/** The longest delay Node's timers take; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

export function createEngineServer(options: EngineServerOptions): EngineServer {
  const { limits, logger, tls } = options
  const refuseUpgrade = refusingWith(options.events)
  const timerMs = Math.min(limits.upgradeTimeoutMs, MAX_TIMER_MS)
  const timeouts = {
    headersTimeout: limits.upgradeTimeoutMs,
    requestTimeout: limits.upgradeTimeoutMs,
    // Node checks the two timeouts above on this interval.
    connectionsCheckingInterval: sweepInterval(limits.upgradeTimeoutMs),
  }
  const http = tls
    ? createHttpsServer({ ...timeouts, cert: tls.cert, key: tls.key, handshakeTimeout: timerMs }, options.onRequest)
    : createHttpServer(timeouts, options.onRequest)
  http.on('upgrade', options.onUpgrade)
  http.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // Answered when the socket still takes bytes, so a slow or broken client learns why.
    if (socket.writable) {
      const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      refuseUpgrade(socket, timedOut ? 408 : 400, timedOut ? `request not complete within ${limits.upgradeTimeoutMs} ms (upgradeTimeoutMs)` : 'malformed HTTP request')
    }
    socket.destroy()
  })
  // A TLS handshake that fails (a client that does not trust the certificate) is the client's problem.
  http.on('tlsClientError', (error: Error) => logger.debug(`TLS handshake failed: ${error.message}`))

  const { limiter } = options
  const secureContext = tls ? createSecureContext({ cert: tls.cert, key: tls.key }) : undefined
  // The server parses a connection in its own 'connection' listeners: the gate goes before
  // them, so that a refused connection is never parsed.
  const parse = http.listeners('connection') as Array<(socket: Socket) => void>
  http.removeAllListeners('connection')
  http.on('connection', (socket: Socket) => {
    socket.on('error', (error) => logger.debug(`connection error: ${error.message}`))
    const refusal = limiter.admit(socket)
    if (refusal === undefined) {
      for (const listener of parse) listener.call(http, socket)
      return
    }
    // Debug, not warn: a flood past a cap would otherwise flood the log as well.
    logger.debug(`refused a connection from ${socket.remoteAddress}: ${refusal.reason}`)
    refuse(secureContext ? new TLSSocket(socket, { isServer: true, secureContext }) : socket, refusal, timerMs, refuseUpgrade)
  })
  return { http, connections: () => limiter.size }
}

/**
 * Answers a connection over a cap with its status at once, without waiting for the request:
 * the descriptor is what is scarce. What the client still sends is read and dropped, so that
 * it gets the answer rather than a reset; a peer that does not close is cut after `timeoutMs`.
 */
function refuse(socket: Socket, refusal: ConnectionRefusal, timeoutMs: number, refuseUpgrade: Refuse): void {
  socket.on('error', () => socket.destroy())
  socket.setTimeout(timeoutMs, () => socket.destroy())
  socket.resume()
  refuseUpgrade(socket, refusal.status, refusal.reason, refusal.status === 503 ? { 'Retry-After': '1' } : {})
}

/** Listens on `host:port`; errors after that are logged, not thrown: the engine keeps serving. */
export async function listen(server: HttpServer, port: number, host: string, logger: Logger): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', (error) => logger.error(`server error: ${error.message}`))
}
