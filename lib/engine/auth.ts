import type { IncomingMessage } from 'http'
import { secretsMatch } from './secrets'

export type TokenCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/**
 * Checks the token a worker or telemetry socket presents on its upgrade: `Authorization: Bearer <token>`, or
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
