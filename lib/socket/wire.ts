import type { Observable } from 'rxjs'

/** One WebSocket data frame as the SDK sees it: a binary chunk, or a text message. */
export type WireData = Uint8Array | string

/** What a socket is opened for: the transport picks its sender, close timeout and flow control by it. */
export type WireRole = 'worker' | 'reader' | 'writer'

/**
 * A client WebSocket as the SDK and the channel ends use it, whatever implements it: ws in
 * Node (lib/node/ws-transport.ts), the browser's WebSocket in a page (lib/browser). Only what
 * both can honour is here.
 */
export interface WireSocket {
  /** Frames received, in order; completes on a clean close, errors with `SocketClosedError` on any other. */
  readonly frames$: Observable<WireData>
  readonly open: boolean
  /** The subprotocol the engine selected, or '' for none. */
  readonly protocol: string
  send(data: WireData): void
  /** Bytes handed to `send` that the network has not taken yet. */
  readonly bufferedBytes: number
  /** Emits as buffered bytes are taken; completes once the socket has closed. */
  readonly written$: Observable<void>
  /**
   * Stops taking frames from the engine until `resume`, so the engine holds them: ws stops
   * reading the TCP socket. A browser cannot: its readers use the credit mode instead.
   */
  pause(): void
  resume(): void
  /** Closes with a code and reason whatever the state; a socket still connecting is aborted. */
  close(code: number, reason: string): void
  /** Drops the connection without a closing handshake. */
  terminate(): void
  /**
   * Keeps the socket alive and watches the engine's liveness: after `deadAfterMs` without
   * progress the socket is terminated and `onDead` hears why. Returns a function that stops it.
   */
  keepAlive(liveness: Liveness, onDead: (reason: string) => void): () => void
}

/** How often an end pings the engine, and how long the engine may show no progress. */
export interface Liveness {
  readonly pingIntervalMs: number
  readonly deadAfterMs: number
}

/**
 * Opens client sockets: emits the socket once open, or errors with a `ConnectionError`. It
 * does not complete, so the subscription can own what is set up on the open socket;
 * unsubscribing before it opens aborts the handshake.
 */
export interface Transport {
  /** `protocols`: WebSocket subprotocols to offer (a reader asking for the credit mode). */
  open(url: string, role: WireRole, protocols?: readonly string[]): Observable<WireSocket>
}
