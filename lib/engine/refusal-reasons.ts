/** What each HTTP status the engine refuses a connection or upgrade with means, as one word for a metric label. */
const REASONS: Readonly<Record<number, string>> = {
  400: 'malformed',
  401: 'token',
  403: 'forbidden',
  404: 'not_found',
  408: 'timeout',
  429: 'address_limit',
  502: 'home_unreachable',
  503: 'unavailable',
  508: 'proxy_loop',
}

export function refusalReason(status: number): string {
  return REASONS[status] ?? 'other'
}
