import type { IncomingMessage, ServerResponse } from 'http'
import type { EngineStats } from './engine-stats'

/** Plain HTTP requests: `/health` answers with the stats as JSON; anything else is told to upgrade to a WebSocket. */
export function answerRequests(stats: () => EngineStats): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    if (request.url === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ status: 'ok', ...stats() }))
      return
    }
    response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' })
    response.end('rx-channels engine: connect with a WebSocket\n')
  }
}
