/**
 * Every error rx-channels raises carries a stable `code` string, so callers can branch on
 * it without parsing messages.
 */
export class RxChannelsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'RxChannelsError'
  }
}

/** Codes an invocation may fail with; compatible peers use the same strings. */
export type InvocationErrorCode =
  | 'function_not_found'
  | 'invocation_failed'
  | 'invocation_stopped'
  | 'TIMEOUT'
  | 'connection_lost'
  | 'shutdown'
  | 'invalid_message'
  /** The engine is shutting down: the invocation will not be answered. */
  | 'engine_shutting_down'
  /** The caller already has the engine's maximum of invocations pending. */
  | 'too_many_pending_invocations'
  /**
   * The callee has more than the engine's `maxQueuedBytesPerWorker` queued and unread: the
   * engine does not forward it more until it drains (it is dropped if it does not drain in time).
   */
  | 'worker_backed_up'
  /** `engine::channels::create`: the caller already has the engine's maximum of open channels. */
  | 'too_many_channels'
  /**
   * Engines in a cluster: the callee is on another node, and Redis (which carries invocations
   * between nodes) is unreachable, or the callee's node is not listening, or the connection to
   * Redis was lost while the invocation was in flight. Nothing was retried: the caller decides.
   */
  | 'cluster_unavailable'
  /** The engine refused this worker's token (HTTP 401). */
  | 'unauthorized'
  /**
   * The invocation was never sent: no connection to the engine opened within its timeout.
   * `cause` is the last connection error, if an attempt failed.
   */
  | 'not_connected'
  /** The client gave up connecting (`reconnect.maxRetries`); `cause` is the last connection error. */
  | 'engine_unreachable'
  /** Not connected, and the client's outbox already holds `outbox.maxEntries` or `outbox.maxBytes`. */
  | 'outbox_full'
  | (string & {})

/**
 * A rejected `trigger()`: the code and message come from the engine or the callee, or from the
 * client when the invocation could not be sent (`cause` then says why).
 */
export class InvocationError extends RxChannelsError {
  constructor(
    code: InvocationErrorCode,
    message: string,
    readonly function_id: string,
    readonly stacktrace?: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${code}: ${message}`, options)
    this.name = 'InvocationError'
  }
}

export type ConnectionErrorCode =
  /** Nothing listens at the address (ECONNREFUSED). */
  | 'connection_refused'
  /** The host name did not resolve (ENOTFOUND, EAI_AGAIN). */
  | 'dns_lookup_failed'
  /** The TLS handshake failed, typically a certificate the client does not trust (see `tls.ca`). */
  | 'tls_failed'
  /** The server answered the upgrade with an HTTP status (`UpgradeRefusedError`: `status`, `reason`). */
  | 'upgrade_refused'
  /** The URL cannot be connected to at all (not a ws://, wss://, http:// or https:// URL). */
  | 'invalid_url'
  /** Any other failure to connect (reset, unreachable network, handshake timeout); see `cause`. */
  | 'connection_failed'

/** A socket could not be opened; `cause` is the error Node or ws reported. */
export class ConnectionError extends RxChannelsError {
  constructor(code: ConnectionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'ConnectionError'
  }
}

export type ChannelErrorCode =
  /** The engine refused the upgrade: unknown channel, wrong key or malformed request. */
  | 'channel_refused'
  /** The writer aborted or disappeared mid-stream. */
  | 'writer_aborted'
  /** The reader went away before the writer finished. */
  | 'reader_gone'
  /** This end is already connected elsewhere. */
  | 'end_taken'
  /** The socket closed without a clean end for another reason. */
  | 'channel_closed'
  /** The end was used after it was closed. */
  | 'channel_ended'
  /** The engine is shutting down (close code 1001). */
  | 'engine_shutting_down'
  /** The other end never connected within the engine's channel TTL (close code 4408). */
  | 'channel_expired'
  /** A frame was over the engine's size limit (close code 1009). */
  | 'frame_too_big'
  /**
   * A reader stopped: one of its streams (chunks or messages) filled its backlog with nothing
   * subscribed to it, so its paused socket held back the other stream's subscriber for the
   * reader's grace period (`unreadBacklogGraceMs`).
   */
  | 'unread_backlog'

/** A channel end failed; `closeCode` and `httpStatus` say what the socket reported. */
export class ChannelError extends RxChannelsError {
  constructor(
    code: ChannelErrorCode,
    message: string,
    readonly details: { readonly closeCode?: number; readonly httpStatus?: number; readonly cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause })
    this.name = 'ChannelError'
  }
}

/** Codes with which an engine refuses a function registration (message `registrationrejected`). */
export type EngineRegistrationRefusal =
  /** Another live worker owns the id. The SDK retries with backoff: that worker may leave. */
  | 'function_already_registered'
  /**
   * The id's owner dropped without a clean close; the engine holds the id for its reattach for
   * `functionReservationMs`. The SDK retries with backoff, and `ready()` waits for it.
   */
  | 'function_reserved'
  /** The worker already has the engine's `maxFunctionsPerWorker` functions. */
  | 'too_many_functions'
  /** The id is longer than the engine's `maxFunctionIdBytes`. */
  | 'function_id_too_long'
  /** Description, formats, metadata and invocation are larger than the engine's `maxRegistrationBytes`. */
  | 'registration_too_large'
  /** The worker's registrations together would be larger than the engine's `maxRegistrationBytesPerWorker`. */
  | 'worker_registrations_too_large'
  /** The registration cannot be serialized as JSON. */
  | 'invalid_registration'

/** A refusal code from this engine or a compatible one, which may send codes of its own. */
export type RegistrationErrorCode = EngineRegistrationRefusal | (string & {})

export type WorkerErrorCode =
  | 'invalid_argument'
  /** `registerWorker` was given an empty list of engine URLs, or one it could never connect to. */
  | 'invalid_option'
  | 'shutdown'
  /** The engine refused this worker's token (HTTP 401); `cause` is the {@link ConnectionError}. */
  | 'unauthorized'
  /**
   * The client gave up connecting: `reconnect.maxRetries` attempts in a row failed, or the URL
   * cannot be connected to. `cause` is the last {@link ConnectionError} (or what dropped the connection).
   */
  | 'engine_unreachable'
  | RegistrationErrorCode

/**
 * The worker client could not do what was asked of it (bad arguments, a refused token or
 * registration, an engine it gave up reaching).
 */
export class WorkerError extends RxChannelsError {
  constructor(code: WorkerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'WorkerError'
  }
}

/**
 * The engine refused to register a function. `retrying` says whether the SDK keeps trying
 * (for `function_reserved` and `function_already_registered`, which can pass); the function
 * stays registered on the worker either way, until `unregister()`.
 */
export class RegistrationError extends WorkerError {
  constructor(
    code: RegistrationErrorCode,
    message: string,
    readonly function_id: string,
    readonly retrying: boolean,
  ) {
    super(code, `${code}: ${message}`)
    this.name = 'RegistrationError'
  }
}

/** Data on a channel did not decode: invalid UTF-8, invalid JSON, or a value its codec refuses. */
export class DecodeError extends RxChannelsError {
  constructor(message: string) {
    super('decode_failed', message)
    this.name = 'DecodeError'
  }
}

export type StreamErrorCode =
  /** A stream bridge was destroyed or aborted before it ended, so its data did not all arrive. */
  | 'stream_aborted'
  /** A Node Writable closed (destroyed without an error) before it finished. */
  | 'stream_closed'
  /** A flow into a sink was unsubscribed before its source ended. */
  | 'flow_unsubscribed'
  /** `splitLines` / `parseNdjson`: a line grew past `maxLineBytes` before its line end. */
  | 'line_too_long'

/** A stream, a stream bridge or an operator ended without its data complete. */
export class StreamError extends RxChannelsError {
  constructor(code: StreamErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'StreamError'
  }
}

/** The message of whatever was thrown or passed as an error: RxJS and `catch` hand over `unknown`. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Whatever was thrown, as an Error (a non-Error value becomes the message of a new one). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
