import type { IncomingMessage } from 'http'
import type { Duplex } from 'stream'
import { RxChannelsError } from '../errors'
import type { Logger } from '../log'
import { clip } from '../protocol/decode'
import { ClientWarnings } from './client-warnings'
import { refuseUpgrade } from './http'

/**
 * Pages served from this machine, on any port: local development works, while a page from
 * another site cannot drive a user's local engine through their browser.
 */
export const LOOPBACK_ORIGINS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'].flatMap((host) => [`http://${host}:*`, `https://${host}:*`])

/** Allows every origin. */
const ANY_ORIGIN = '*'

/** `scheme://host`, `scheme://host:port` or `scheme://host:*` (any port, or none). */
const ORIGIN_PATTERN = /^[a-z][a-z0-9+.-]*:\/\/(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d+|:\*)?$/

/** Whether an upgrade's `Origin` is allowed. */
export type OriginPolicy = (origin: string) => boolean

/** The policy of an `allowedOrigins` list; an entry that is no origin pattern is an `invalid_option`. */
export function originPolicy(allowed: readonly string[]): OriginPolicy {
  const patterns = allowed.map((entry) => entry.trim().toLowerCase())
  for (const pattern of patterns) {
    if (pattern !== ANY_ORIGIN && !ORIGIN_PATTERN.test(pattern)) {
      throw new RxChannelsError('invalid_option', `allowedOrigins: "${clip(pattern, 60)}" is not an origin: write scheme://host, scheme://host:port, scheme://host:* or *`)
    }
  }
  if (patterns.includes(ANY_ORIGIN)) return () => true
  const exact = new Set(patterns.filter((pattern) => !pattern.endsWith(':*')))
  const anyPort = patterns.filter((pattern) => pattern.endsWith(':*')).map((pattern) => pattern.slice(0, -2))
  return (origin) => {
    const offered = origin.toLowerCase()
    if (exact.has(offered)) return true
    return anyPort.some((base) => offered === base || (offered.startsWith(`${base}:`) && /^\d+$/.test(offered.slice(base.length + 1))))
  }
}

/** Whether an upgrade may go on as far as its `Origin` goes; if not, it has been answered. */
export type OriginGate = (request: IncomingMessage, socket: Duplex) => boolean

/**
 * The gate of an `allowedOrigins` list (see {@link originPolicy}): an upgrade without an
 * `Origin` (not from a browser) always passes; one from a page the list does not allow is
 * refused with 403 and the reason, and logged at most once per window (with how many were
 * left out), since a page can retry in a loop.
 */
export function originGate(allowed: readonly string[], logger: Logger, now: () => number): OriginGate {
  const allows = originPolicy(allowed)
  const warnings = new ClientWarnings(logger, now)
  return (request, socket) => {
    const origin = request.headers.origin
    if (origin === undefined || allows(origin)) return true
    const reason = `origin ${clip(origin, 100)} is not allowed (allowedOrigins)`
    warnings.warn('origin', `refused an upgrade from ${request.socket.remoteAddress}: ${reason}`)
    refuseUpgrade(socket, 403, reason)
    return false
  }
}
