import type { RegisterFunction } from '../protocol/messages'

/** What a redacted value reads as in listings. */
export const REDACTED = '[redacted]'

/**
 * The `invocation` of a registration as other workers may see it: the HTTP headers an
 * HTTP-invoked function is called with often carry credentials, so their values are replaced
 * (their names stay, so a listing still says which headers are set).
 */
export function redactInvocation(invocation: unknown): unknown {
  if (!isRecord(invocation) || !isRecord(invocation.headers)) return invocation
  const headers = Object.fromEntries(Object.keys(invocation.headers).map((name) => [name, REDACTED]))
  return { ...invocation, headers }
}

/** A registration's details as listings show them: all but its type and id, invocation headers redacted. */
export function listedDetails(registration: RegisterFunction): Omit<RegisterFunction, 'type' | 'id'> {
  const { type: _type, id: _id, ...details } = registration
  return details.invocation === undefined ? details : { ...details, invocation: redactInvocation(details.invocation) }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
