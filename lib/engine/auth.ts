import type { IncomingMessage } from 'http'
import type { Duplex } from 'stream'
import type { Logger } from '../log'
import type { SocketEndpoint } from './events'
import { refuseUpgrade } from './http'
import { secretsMatch } from './secrets'

export type TokenCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/**
 * Checks the token a worker or telemetry socket presents on its upgrade (or a scrape of `/metrics`): `Authorization: Bearer <token>`, or
 * `?token=` for clients that cannot set headers. Compared in constant time.
 */
export function checkToken(request: IncomingMessage, url: URL, expected: string): TokenCheck {
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]
  const offered = bearer ?? url.searchParams.get('token') ?? undefined
  if (offered === undefined || offered === '') {
    return { ok: false, reason: 'missing token: send "Authorization: Bearer <token>" or ?token=<token>' }
  }
  return secretsMatch(expected, offered) ? { ok: true } : { ok: false, reason: 'invalid token' }
}

/**
 * Whether an upgrade to `endpoint` carries the engine's token, when the engine has one
 * (`expected`); if it does not, the upgrade is refused with 401 and logged.
 */
export function tokenPresented(expected: string | undefined, request: IncomingMessage, url: URL, socket: Duplex, endpoint: SocketEndpoint, logger: Logger): boolean {
  if (expected === undefined) return true
  const check = checkToken(request, url, expected)
  if (check.ok) return true
  logger.warn(`refused a ${endpoint} socket from ${request.socket.remoteAddress}: ${check.reason}`)
  refuseUpgrade(socket, 401, check.reason, { 'WWW-Authenticate': 'Bearer realm="rx-channels"' })
  return false
}
