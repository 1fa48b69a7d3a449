import { Observable, Subject } from 'rxjs'
import { ConnectionError, messageOf } from '../errors'
import { isCleanClose } from '../protocol/close-codes'
import { closeReason } from '../socket/frame'
import { redactUrl } from '../socket/redact-url'
import { SocketClosedError } from '../socket/socket-closed-error'
import type { Transport, WireData, WireRole, WireSocket } from '../socket/wire'

/** How often a writer looks at `bufferedAmount` while bytes are buffered: the browser has no drain event. */
const BUFFERED_POLL_MS = 10

const OPEN = 1
const CONNECTING = 0

/** The part of the browser's WebSocket used here (the project's types do not include the DOM). */
interface BrowserWebSocket {
  readonly readyState: number
  readonly protocol: string
  readonly bufferedAmount: number
  binaryType: string
  send(data: string | ArrayBufferView): void
  close(code?: number, reason?: string): void
  addEventListener(type: string, listener: (event: BrowserSocketEvent) => void): void
  removeEventListener(type: string, listener: (event: BrowserSocketEvent) => void): void
}

interface BrowserSocketEvent {
  readonly data?: unknown
  readonly code?: number
  readonly reason?: string
}

type BrowserWebSocketClass = new (url: string, protocols?: string[]) => BrowserWebSocket

/**
 * The browser transport: the page's own WebSocket. It cannot set headers (the worker token
 * travels in the URL), cannot pause its socket (readers ask for the credit mode instead) and
 * has no write callbacks (writers watch `bufferedAmount`).
 */
export function webSocketTransport(): Transport {
  return {
    open: (url: string, _role: WireRole, protocols: readonly string[] = []) =>
      new Observable<WireSocket>((subscriber) => {
        const WebSocketClass = (globalThis as unknown as { WebSocket?: BrowserWebSocketClass }).WebSocket
        let ws: BrowserWebSocket
        try {
          if (WebSocketClass === undefined) throw new TypeError('this runtime has no WebSocket')
          ws = new WebSocketClass(url, [...protocols])
        } catch (error) {
          subscriber.error(new ConnectionError('invalid_url', `cannot connect to ${redactUrl(url)}: ${messageOf(error)}`, { cause: error }))
          return
        }
        ws.binaryType = 'arraybuffer'
        let opened = false
        const onOpen = () => {
          opened = true
          detach()
          subscriber.next(new BrowserWireSocket(ws))
        }
        // A browser does not say why an upgrade failed (no status, no body): only that it closed.
        const onClose = (event: BrowserSocketEvent) => {
          detach()
          subscriber.error(new ConnectionError('connection_failed', `the WebSocket to ${redactUrl(url)} closed before it opened (code ${event.code ?? 'none'})`))
        }
        const detach = () => {
          ws.removeEventListener('open', onOpen)
          ws.removeEventListener('close', onClose)
        }
        ws.addEventListener('open', onOpen)
        ws.addEventListener('close', onClose)
        return () => {
          if (opened) return
          detach()
          ws.close()
        }
      }),
  }
}

/** A close code a browser may send: 1000 or 3000-4999; others (1011, writer aborted) map to 4000 + their last digits. */
const browserCloseCode = (code: number) => (code === 1000 || (code >= 3000 && code <= 4999) ? code : 4000 + (code % 1000))

class BrowserWireSocket implements WireSocket {
  readonly frames$: Observable<WireData>
  private readonly written = new Subject<void>()
  readonly written$ = this.written.asObservable()
  private pollTimer?: ReturnType<typeof setInterval>

  constructor(private readonly ws: BrowserWebSocket) {
    const onClosed = () => {
      ws.removeEventListener('close', onClosed)
      clearInterval(this.pollTimer)
      this.written.complete()
    }
    ws.addEventListener('close', onClosed)
    this.frames$ = new Observable<WireData>((subscriber) => {
      const onMessage = (event: BrowserSocketEvent) => {
        subscriber.next(typeof event.data === 'string' ? event.data : new Uint8Array(event.data as ArrayBuffer))
      }
      const onClose = (event: BrowserSocketEvent) => {
        const code = event.code ?? 1006
        if (isCleanClose(code)) subscriber.complete()
        else subscriber.error(new SocketClosedError(code, event.reason ?? ''))
      }
      ws.addEventListener('message', onMessage)
      ws.addEventListener('close', onClose)
      return () => {
        ws.removeEventListener('message', onMessage)
        ws.removeEventListener('close', onClose)
      }
    })
  }

  get open(): boolean {
    return this.ws.readyState === OPEN
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount
  }

  get protocol(): string {
    return this.ws.protocol
  }

  send(data: WireData): void {
    this.ws.send(data)
    this.watchBuffered()
  }

  /**
   * A page cannot stop reading its socket: readers ask for the credit mode instead, and one
   * whose engine has none holds whatever arrives.
   */
  pause(): void {}

  resume(): void {}

  close(code: number, reason: string): void {
    if (this.ws.readyState === OPEN || this.ws.readyState === CONNECTING) this.ws.close(browserCloseCode(code), closeReason(reason))
  }

  /** A page cannot drop a connection without its closing handshake. */
  terminate(): void {
    this.ws.close()
  }

  /**
   * Nothing to do: the browser answers the engine's pings itself and gives a page no way to
   * send its own; a dead connection shows as the socket's close.
   */
  keepAlive(): () => void {
    return () => undefined
  }

  /** Emits `written$` as the buffered amount falls, polling while anything is buffered. */
  private watchBuffered(): void {
    if (this.pollTimer !== undefined || this.ws.bufferedAmount === 0) return
    let last = this.ws.bufferedAmount
    this.pollTimer = setInterval(() => {
      const now = this.ws.bufferedAmount
      if (now < last) this.written.next()
      last = now
      if (now > 0) return
      clearInterval(this.pollTimer)
      this.pollTimer = undefined
    }, BUFFERED_POLL_MS)
  }
}
