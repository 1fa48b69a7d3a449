import type { IncomingMessage, ServerResponse } from 'http'
import type { Logger } from '../log'
import { checkToken } from './auth'
import type { EngineStats } from './engine-stats'
import type { EngineMetrics } from './metrics'

export interface RequestAnswers {
  readonly stats: () => EngineStats
  readonly metrics: EngineMetrics
  /** The token a scrape of `/metrics` must present, as worker sockets do, if the engine has one. */
  readonly token: string | undefined
  readonly logger: Logger
}

/**
 * Plain HTTP requests: `/health` answers with the stats as JSON, `/metrics` with the metrics in
 * the Prometheus text format; anything else is told to upgrade to a WebSocket.
 */
export function answerRequests({ stats, metrics, token, logger }: RequestAnswers): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    if (request.url === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ status: 'ok', ...stats() }))
      return
    }
    const url = requestUrl(request)
    if (url?.pathname === '/metrics') {
      const check = token === undefined ? { ok: true as const } : checkToken(request, url, token)
      if (!check.ok) {
        logger.debug(`refused a scrape of /metrics from ${request.socket.remoteAddress}: ${check.reason}`)
        response.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="rx-channels"' })
        response.end(`${check.reason}\n`)
        return
      }
      metrics.text().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.contentType })
          response.end(text)
        },
        (error: Error) => {
          logger.error(`failed to collect metrics: ${error.message}`)
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          response.end('failed to collect metrics\n')
        },
      )
      return
    }
    response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' })
    response.end('rx-channels engine: connect with a WebSocket\n')
  }
}

/** The request's URL, or undefined when it does not parse: what a client sends never throws here. */
function requestUrl(request: IncomingMessage): URL | undefined {
  try {
    return new URL(request.url ?? '/', 'http://engine')
  } catch {
    return undefined
  }
}
