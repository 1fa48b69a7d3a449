import { asError, ConnectionError } from '../errors'

/** Node error codes of certificate and TLS protocol failures (besides `ERR_TLS_*` and `ERR_SSL_*`). */
const TLS_CODE = /CERT|^ERR_TLS_|^ERR_SSL_|^EPROTO$/

const DNS_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME'])

/**
 * Names why a socket could not be opened, from the error Node or ws reported, so a log line
 * or a rejection says "connection refused" or "TLS" rather than only an errno.
 */
export function connectionErrorFrom(error: unknown): ConnectionError {
  if (error instanceof ConnectionError) return error
  const failure = asError(error)
  const code = (failure as NodeJS.ErrnoException).code ?? ''
  if (code === 'ECONNREFUSED') return new ConnectionError('connection_refused', `connection refused (${failure.message})`, { cause: failure })
  if (DNS_CODES.has(code)) return new ConnectionError('dns_lookup_failed', `DNS lookup failed (${failure.message})`, { cause: failure })
  if (TLS_CODE.test(code)) {
    return new ConnectionError('tls_failed', `TLS handshake failed (${code}: ${failure.message}); a private or self-signed certificate needs tls.ca`, {
      cause: failure,
    })
  }
  return new ConnectionError('connection_failed', `connection failed (${code ? `${code}: ` : ''}${failure.message})`, { cause: failure })
}
