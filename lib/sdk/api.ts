import type { ChannelReader as CoreChannelReader } from '../channel/reader'
import type { ChannelWriter as CoreChannelWriter } from '../channel/writer'
// By default the ends with their Node streams; a browser's client has ends with WHATWG streams.
import type { NodeChannelReader as ChannelReader, NodeChannelWriter as ChannelWriter } from '../node/channel-ends'
import type { Observable } from 'rxjs'
import type { KeepAliveOptions } from '../channel/keep-alive'
import type { RegistrationError } from '../errors'
import type { Logger } from '../log'
import type { TriggerAction } from '../protocol/messages'
import type { StreamChannelRef } from '../protocol/refs'
import type { TlsConnectOptions } from '../socket/connect'
import type { ReconnectPolicy } from './backoff'
import type { OutboxLimits } from './outbox'

export interface WorkerOptions {
  /** Shown in `engine::workers::list`. Default `hostname:pid`. */
  readonly workerName?: string
  /** Extra HTTP headers on the worker socket's upgrade. */
  readonly headers?: Record<string, string>
  /**
   * The engine's worker token, sent as `Authorization: Bearer <token>` on the worker socket
   * (channel sockets carry their own keys). An engine that refuses it is not retried.
   */
  readonly token?: string
  /** For wss:// engines: certificates to trust (`ca`), for worker and channel sockets alike. */
  readonly tls?: TlsConnectOptions
  /** How long `trigger()` waits for a result by default. Default 30 s. */
  readonly invocationTimeoutMs?: number
  /**
   * Overrides of the reconnect backoff. With `maxRetries` (default -1, forever) the client gives
   * up after that many failed attempts in a row: `ready()` and every unsent trigger reject with
   * `engine_unreachable`.
   */
  readonly reconnect?: Partial<ReconnectPolicy>
  /**
   * What the client holds while not connected (default 1000 frames, 16 MiB); a trigger past it
   * is refused with `outbox_full`.
   */
  readonly outbox?: Partial<OutboxLimits>
  readonly logger?: Logger
  /** Pings from this worker's channel ends, and how long the engine may show them no progress. */
  readonly channelKeepAlive?: KeepAliveOptions
  /**
   * Channel readers ask the engine for credit mode (README, protocol notes) instead of pausing
   * their socket: the engine then sends only the frames a reader has room for. Needs an
   * rx-channels engine that offers it (an engine without it fails the reader's handshake).
   * Default false.
   */
  readonly channelReaderCredit?: boolean
}

/** What a function is registered with: an id and optional descriptions shown in listings. */
export interface FunctionDefinition {
  readonly id: string
  readonly description?: string
  readonly request_format?: unknown
  readonly response_format?: unknown
  readonly metadata?: unknown
}

/**
 * A function's handler. Channel refs anywhere in `input` arrive as live
 * {@link ChannelReader}/{@link ChannelWriter} objects; the result is sent back as JSON.
 */
// `any` by default so a handler can declare the input type it expects.
export type FunctionHandler<In = any, Out = unknown> = (input: In, metadata?: unknown) => Out | Promise<Out>

export interface FunctionRef {
  readonly id: string
  /**
   * Why the engine refused the latest registration of this function, if it did; undefined once
   * it is sent again. A `retrying` refusal is retried with the reconnect backoff.
   */
  readonly refusal: RegistrationError | undefined
  unregister(): void
}

export interface TriggerRequest<P = unknown> {
  readonly function_id: string
  readonly payload?: P
  /** Default: the worker's `invocationTimeoutMs`. */
  readonly timeoutMs?: number
  /**
   * `{ type: 'void' }` sends and forgets: the promise resolves once the frame is handed to a
   * connected socket (at once when connected), and rejects if it never is (`not_connected`
   * after `timeoutMs`, `outbox_full`, `engine_unreachable`, `shutdown`).
   */
  readonly action?: TriggerAction
  readonly metadata?: unknown
}

/** Both ends of a new channel, live and as refs to hand to another function. */
export interface Channel<Reader extends CoreChannelReader = ChannelReader, Writer extends CoreChannelWriter = ChannelWriter> {
  readonly writer: Writer
  readonly reader: Reader
  readonly writerRef: StreamChannelRef
  readonly readerRef: StreamChannelRef
}

export interface WorkerClient<Reader extends CoreChannelReader = ChannelReader, Writer extends CoreChannelWriter = ChannelWriter> {
  /** The id the engine gave this connection, once connected. */
  readonly workerId: string | undefined
  /** The URL of the engine this worker is connected to now; undefined while not connected. */
  readonly engineUrl: string | undefined
  /**
   * {@link engineUrl} as it changes: the URL on each connection, undefined on each drop (the
   * current value first). Completes once the worker shuts down or gives up connecting.
   */
  readonly engineUrl$: Observable<string | undefined>
  registerFunction(definition: string | FunctionDefinition, handler: FunctionHandler): FunctionRef
  trigger<Out = unknown, In = unknown>(request: TriggerRequest<In>): Promise<Out>
  /** Creates a channel; `bufferSize` is how many frames the engine may hold for it (default 64). */
  createChannel(bufferSize?: number): Promise<Channel<Reader, Writer>>
  /**
   * Resolves once connected and the engine has answered a round trip, so every function
   * registered before the call is live at the engine. Waits while a function's id is
   * reserved for a dropped worker (`function_reserved`), and through reconnects; rejects with
   * the {@link RegistrationError} of a function the engine refused otherwise, or with the
   * {@link WorkerError} with which the client gave up connecting (`unauthorized`,
   * `engine_unreachable`; its `cause` is the last connection error).
   */
  ready(): Promise<void>
  /** Fails pending invocations, closes the connection and stops reconnecting. */
  shutdown(): Promise<void>
}
