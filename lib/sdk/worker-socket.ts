import * as E from 'fp-ts/Either'
import { BehaviorSubject, Subject, type Observable, type Subscription } from 'rxjs'
import { ConnectionError, messageOf, WorkerError } from '../errors'
import type { Logger } from '../log'
import { failureReason, messageDecoder } from '../protocol/decode'
import { EngineToWorker } from '../protocol/messages'
import { redactUrl } from '../socket/redact-url'
import { SocketClosedError } from '../socket/socket-closed-error'
import { UpgradeRefusedError } from '../socket/upgrade-refused-error'
import type { Transport, WireSocket } from '../socket/wire'
import { backoffDelay, type ReconnectPolicy } from './backoff'

const decodeEngineMessage = messageDecoder(EngineToWorker)

export const PING_INTERVAL_MS = 20_000
export const IDLE_TIMEOUT_MS = 60_000

export interface WorkerSocketOptions {
  /** Opens the socket: ws with the worker's headers and TLS settings in Node, the page's WebSocket in a browser. */
  readonly transport: Transport
  /** The socket's address for an engine URL (a browser carries the token in it, so it is never logged or shown). */
  readonly socketUrl: (engineUrl: string) => string
  readonly reconnect: ReconnectPolicy
  readonly logger: Logger
}

/** Why the last connection dropped: the close code when the engine sent one. */
export interface Drop {
  readonly closeCode?: number
  readonly reason: string
  readonly cause?: unknown
}

/**
 * The worker's control socket to the engine: reconnects with backoff after any drop, to the
 * next of its engine URLs in turn (a URL that just failed goes to the back), pings
 * every 20 s and drops a connection on which the engine has shown no progress for 60 s
 * (where the transport can tell: a browser answers the engine's pings itself). Incoming frames are
 * decoded once into typed messages; frames that do not decode are logged and skipped.
 * Each failed attempt is logged at warn with its cause and the delay before the next one.
 * The socket gives up when retrying cannot help or may not go on: `connected$` errors with a
 * `WorkerError` coded `unauthorized` (HTTP 401: a wrong token stays wrong) or
 * `engine_unreachable` (`reconnect.maxRetries` attempts failed in a row, or a URL that cannot
 * be connected to), whose `cause` is the last connection error.
 */
export class WorkerSocket {
  private readonly received = new Subject<EngineToWorker>()
  private readonly connectivity = new BehaviorSubject(false)
  /** The engine's messages, decoded; completes when the socket is closed or gives up. */
  readonly messages$: Observable<EngineToWorker> = this.received.asObservable()
  /** True while connected; emits false after every drop. */
  readonly connected$: Observable<boolean> = this.connectivity.asObservable()
  /** Why the connection dropped last; set before `connected$` emits false. */
  lastDrop?: Drop
  /** Why the latest attempt to connect failed; undefined once connected. */
  lastConnectionError?: ConnectionError

  private socket?: WireSocket
  private connection?: Subscription
  /** The URL of the current connection, or of the latest attempt. */
  private attemptedUrl: string
  private nextUrlIndex = 0
  private attempt = 0
  private retryTimer?: NodeJS.Timeout
  private stopped = false

  constructor(
    private readonly urls: readonly [string, ...string[]],
    private readonly options: WorkerSocketOptions,
  ) {
    this.attemptedUrl = urls[0]
    this.connect()
  }

  /** The engine URL connected to now, or, while not connected, tried last. */
  get url(): string {
    return this.attemptedUrl
  }

  get open(): boolean {
    return this.socket?.open ?? false
  }

  /** Sends now if connected; returns false (and sends nothing) otherwise. */
  send(text: string): boolean {
    if (!this.open) return false
    this.socket?.send(text)
    return true
  }

  close(): void {
    this.stopped = true
    clearTimeout(this.retryTimer)
    this.connection?.unsubscribe()
    if (this.socket?.open) this.socket.close(1000, 'worker shutting down')
    else this.socket?.terminate()
    // After a failure both subjects have already ended (and an errored BehaviorSubject throws on `value`).
    if (this.connectivity.hasError) return
    if (this.connectivity.value) this.connectivity.next(false)
    this.connectivity.complete()
    this.received.complete()
  }

  private connect(): void {
    if (this.stopped) return
    this.attemptedUrl = this.urls[this.nextUrlIndex]
    this.nextUrlIndex = (this.nextUrlIndex + 1) % this.urls.length
    this.connection = this.options.transport.open(this.options.socketUrl(this.attemptedUrl), 'worker').subscribe({
      next: (socket) => this.attach(socket),
      error: (failure: unknown) => {
        // A transport fails with a ConnectionError; anything else is coded as one rather than cast.
        const error = failure instanceof ConnectionError ? failure : new ConnectionError('connection_failed', messageOf(failure), { cause: failure })
        this.lastConnectionError = error
        if (error instanceof UpgradeRefusedError && error.status === 401) {
          this.fail(new WorkerError('unauthorized', `the engine at ${redactUrl(this.attemptedUrl)} refused this worker (HTTP 401): ${error.reason}`, { cause: error }))
          return
        }
        if (error.code === 'invalid_url') {
          this.fail(new WorkerError('engine_unreachable', error.message, { cause: error }))
          return
        }
        this.retry(`cannot connect to the engine at ${redactUrl(this.attemptedUrl)}: ${error.message}`, error)
      },
    })
  }

  private attach(socket: WireSocket): void {
    this.socket = socket
    this.attempt = 0
    this.lastConnectionError = undefined
    this.connection?.add(
      socket.frames$.subscribe({
        next: (data) => {
          if (typeof data !== 'string') {
            this.options.logger.warn('ignored a binary frame on the worker socket')
            return
          }
          const decoded = decodeEngineMessage(data)
          if (E.isRight(decoded)) this.received.next(decoded.right)
          else if (decoded.left.kind === 'unknown_type') this.options.logger.debug(`ignored ${decoded.left.reason}`)
          else this.options.logger.warn(`ignored a frame from the engine: ${failureReason(decoded.left)}`)
        },
        error: (error: unknown) =>
          this.onDrop(
            error instanceof SocketClosedError
              ? { closeCode: error.closeCode, reason: error.reason || 'no reason given', cause: error }
              : { reason: messageOf(error), cause: error },
          ),
        complete: () => this.onDrop({ reason: 'the engine closed the connection' }),
      }),
    )
    this.connection?.add(
      socket.keepAlive({ pingIntervalMs: PING_INTERVAL_MS, deadAfterMs: IDLE_TIMEOUT_MS }, (reason) => this.options.logger.warn(`${reason}; reconnecting`)),
    )
    this.connectivity.next(true)
  }

  private onDrop(drop: Drop): void {
    this.connection?.unsubscribe()
    this.socket = undefined
    if (this.stopped) return
    this.lastDrop = drop
    this.connectivity.next(false)
    this.retry(`disconnected from the engine${drop.closeCode ? ` (${drop.closeCode})` : ''}: ${drop.reason}`, drop.cause)
  }

  /** Logs the failure once, at error, and ends both subjects with it. */
  private fail(error: WorkerError): void {
    this.stopped = true
    this.options.logger.error(error.message)
    this.connectivity.error(error)
    this.received.complete()
  }

  /** Logs what failed with the delay before the next attempt, or gives up past `maxRetries`. */
  private retry(failure: string, cause: unknown): void {
    const policy = this.options.reconnect
    if (this.stopped) return
    // Each URL gets its chance before the client gives up, whatever maxRetries says.
    const triedEveryUrl = this.attempt >= this.urls.length - 1
    if (policy.maxRetries !== -1 && this.attempt >= policy.maxRetries && triedEveryUrl) {
      const retries = `${this.attempt} ${this.attempt === 1 ? 'retry' : 'retries'}`
      this.fail(new WorkerError('engine_unreachable', `${failure}; gave up after ${retries} (reconnect.maxRetries)`, { cause }))
      return
    }
    const delay = backoffDelay(policy, this.attempt++)
    this.options.logger.warn(`${failure}; retrying in ${delay} ms`)
    this.retryTimer = setTimeout(() => this.connect(), delay)
  }
}
