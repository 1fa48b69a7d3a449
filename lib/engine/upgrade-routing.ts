import type { IncomingMessage } from 'http'
import type { Duplex } from 'stream'
import * as E from 'fp-ts/Either'
import { channelHome } from '../protocol/channel-id'
import { CHANNEL_PATH_PREFIX, parseChannelRequest } from '../protocol/channel-url'
import { clip } from '../protocol/decode'
import { acceptWorker } from './accept-worker'
import { HOP_HEADER } from './channel-proxies'
import type { EndPeer } from './channel-relay'
import { tokenPresented } from './auth'
import type { EngineState } from './engine-state'
import { refusingWith } from './http'
import type { OriginGate } from './origins'
import { SHUTDOWN_REASON } from './shutdown'
import { createSocketServers } from './socket-servers'
import type { TelemetrySockets } from './telemetry'

export interface UpgradeRouting {
  /** The token worker and telemetry sockets must present, if any. */
  readonly token: string | undefined
  readonly dropChannels: boolean
  /** Refuses upgrades from browser pages that may not open sockets (`allowedOrigins`). */
  readonly origins: OriginGate
  readonly telemetry: TelemetrySockets
  /** Whether the engine is shutting down: upgrades are then refused with 503. */
  readonly closing: () => boolean
}

/**
 * The engine's `upgrade` handler: channel sockets on `/ws/channels/{id}` (guarded by their
 * access keys), worker sockets on `/`, telemetry on `/otel` (both guarded by the token, if
 * any). Anything else, or a refused upgrade, is answered with a plain HTTP error; so is an
 * upgrade from a browser page whose origin is not allowed, whatever its endpoint.
 */
export function routeUpgrades(state: EngineState, routing: UpgradeRouting): (request: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { logger, channels, proxies, sockets } = state
  const servers = createSocketServers(state.limits)
  const refuseUpgrade = refusingWith(state.events)
  const told = (status: number) => state.events.next({ type: 'socket_refused', status })
  // Made once, outside the function below: a listener made in it would keep that call's scope, and
  // with it the request (headers and all), alive for as long as the socket is open.
  const logSocketError = (error: Error) => logger.debug(`upgrade socket error: ${error.message}`)
  return (request, socket, head) => {
    socket.on('error', logSocketError)
    if (routing.closing()) {
      refuseUpgrade(socket, 503, SHUTDOWN_REASON)
      return
    }
    if (!routing.origins(request, socket)) {
      told(403)
      return
    }
    let url: URL
    try {
      url = new URL(request.url ?? '/', 'http://engine')
    } catch {
      refuseUpgrade(socket, 400, 'malformed request URL')
      return
    }
    if (url.pathname.startsWith(CHANNEL_PATH_PREFIX)) {
      const parsed = parseChannelRequest(url)
      if (E.isLeft(parsed)) {
        refuseUpgrade(socket, parsed.left.status, parsed.left.reason)
        return
      }
      const { channelId, key, direction } = parsed.right
      const homeElsewhere = proxies.homeElsewhere(channelHome(channelId))
      if (homeElsewhere !== undefined) {
        proxies.proxy(request, socket, head, parsed.right, homeElsewhere, (ws) => sockets.track(ws, 'channel'))
        return
      }
      const outcome = channels.authorize(channelId, direction, key)
      if (!outcome.ok) {
        refuseUpgrade(socket, outcome.status, outcome.reason)
        return
      }
      servers.channel.handleUpgrade(request, socket, head, (ws) => {
        sockets.track(ws, 'channel')
        channels.attach(outcome.relay, direction, ws, request.socket, endPeer(request))
      })
    } else if (url.pathname === '/otel') {
      if (!tokenPresented(routing.token, request, url, socket, 'telemetry', logger)) {
        told(401)
        return
      }
      // Telemetry from the official client: forwarded to an OTLP collector if the engine has one, else dropped (protocol section 5).
      servers.telemetry.handleUpgrade(request, socket, head, (ws) => {
        sockets.track(ws, 'telemetry')
        routing.telemetry.add(ws)
      })
    } else if (url.pathname === '/') {
      if (!tokenPresented(routing.token, request, url, socket, 'worker', logger)) {
        told(401)
        return
      }
      servers.worker.handleUpgrade(request, socket, head, (ws) => acceptWorker(ws, socket, request, state, routing.dropChannels))
    } else {
      refuseUpgrade(socket, 404, `no WebSocket endpoint at ${url.pathname}`)
    }
  }
}

/** Where a channel end comes from, for listings; the hop header is the client's word, clipped. */
function endPeer(request: IncomingMessage): EndPeer {
  const { remoteAddress, remotePort } = request.socket
  const host = remoteAddress ?? 'unknown'
  const address = `${host.includes(':') ? `[${host}]` : host}:${remotePort ?? '?'}`
  const via = request.headers[HOP_HEADER]
  return typeof via === 'string' ? { address, proxiedBy: clip(via, 64) } : { address }
}
