import type { IncomingMessage } from 'http'
import { Observable } from 'rxjs'
import type { Socket } from 'net'
import WebSocket from 'ws'
import { ConnectionError, RxChannelsError } from '../errors'
import { connectionErrorFrom } from './connect-error'
import { redactUrl } from './redact-url'
import { UpgradeRefusedError } from './upgrade-refused-error'

export { UpgradeRefusedError } from './upgrade-refused-error'

/** TLS settings for wss:// URLs. Without `ca`, Node's trusted roots (and NODE_EXTRA_CA_CERTS) apply. */
export interface TlsConnectOptions {
  /** Certificates to trust, PEM: for an engine with a self-signed or private CA certificate. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>
}

export interface ConnectOptions {
  readonly headers?: Record<string, string>
  /** WebSocket subprotocols to offer; the server must select one of them, or the handshake fails. */
  readonly protocols?: readonly string[]
  readonly handshakeTimeoutMs?: number
  readonly tls?: TlsConnectOptions
}

const MAX_REFUSAL_BODY = 512

const tcpSockets = new WeakMap<WebSocket, Socket>()

/** The TCP (or TLS) connection under a socket that {@link openSocket} has emitted. */
export function tcpSocketOf(ws: WebSocket): Socket {
  const socket = tcpSockets.get(ws)
  if (socket === undefined) throw new RxChannelsError('invalid_argument', 'tcpSocketOf: the socket was not opened by openSocket')
  return socket
}

const ignoreError = (): void => undefined

/**
 * Opens a client socket: emits it once open, or errors with a {@link ConnectionError}: an
 * {@link UpgradeRefusedError} (carrying the status and the server's reason), or one coded by
 * what failed (refused, DNS, TLS, a bad URL) with Node's error as `cause`. It does not
 * complete, so the subscription can own what is set up on the open socket.
 * Unsubscribing before it opens aborts the handshake. `wsOptions` go to ws as they are;
 * `ws.protocol` says which of `options.protocols` the server chose.
 */
export function openSocket(url: string, options: ConnectOptions = {}, wsOptions: object = {}): Observable<WebSocket> {
  return new Observable<WebSocket>((subscriber) => {
    let ws: WebSocket
    try {
      ws = new WebSocket(url, options.protocols === undefined ? [] : [...options.protocols], {
        headers: options.headers,
        handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
        perMessageDeflate: false,
        ...(options.tls?.ca === undefined ? {} : { ca: options.tls.ca as string | Buffer | Array<string | Buffer> }),
        ...wsOptions,
      })
    } catch (error) {
      subscriber.error(new ConnectionError('invalid_url', `cannot connect to ${redactUrl(url)}: ${(error as Error).message}`, { cause: error }))
      return
    }
    let refusal: UpgradeRefusedError | undefined
    ws.once('upgrade', (response: IncomingMessage) => tcpSockets.set(ws, response.socket))
    const onOpen = () => {
      detach()
      subscriber.next(ws)
    }
    const onUnexpectedResponse = (_request: unknown, response: IncomingMessage) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (part: string) => {
        if (body.length < MAX_REFUSAL_BODY) body += part
      })
      response.on('end', () => {
        refusal = new UpgradeRefusedError(response.statusCode ?? 0, body.slice(0, MAX_REFUSAL_BODY).trim())
        ws.terminate()
      })
    }
    const onError = (error: Error) => {
      detach()
      subscriber.error(refusal ?? connectionErrorFrom(error))
    }
    const detach = () => {
      ws.off('open', onOpen)
      ws.off('unexpected-response', onUnexpectedResponse)
      ws.off('error', onError)
    }
    // Errors after open are reported through the close event (see socketFrames); an 'error'
    // with no listener would otherwise throw.
    ws.on('error', ignoreError)
    ws.on('open', onOpen)
    ws.on('unexpected-response', onUnexpectedResponse)
    ws.on('error', onError)
    return () => {
      if (ws.readyState === WebSocket.CONNECTING) {
        detach()
        ws.terminate()
      }
    }
  })
}
