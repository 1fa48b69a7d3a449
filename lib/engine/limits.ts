import { RxChannelsError } from '../errors'

/** What the engine allows each client, resolved from {@link EngineOptions} with the defaults below. */
export interface EngineLimits {
  /** Largest control message on a worker socket, in bytes. */
  readonly maxMessageBytes: number
  /** Largest frame on a channel socket, in bytes. Writers send 64 KiB frames. */
  readonly maxFrameBytes: number
  /** Open channels one worker may have created. */
  readonly maxChannelsPerWorker: number
  /** Invocations one worker may have waiting for a result. */
  readonly maxPendingInvocationsPerWorker: number
  /** The largest `buffer_size` (frames held per channel); larger requests are capped to it, as iii caps at 1024. */
  readonly maxBufferFrames: number
  /** A channel not connected on both ends this long after its creation is swept. */
  readonly channelTtlMs: number
  /** Functions one worker may have registered. */
  readonly maxFunctionsPerWorker: number
  /** Longest function id, in UTF-8 bytes. */
  readonly maxFunctionIdBytes: number
  /** Largest registration (description, formats, metadata, invocation) and worker metadata, as JSON bytes. */
  readonly maxRegistrationBytes: number
  /** All the registrations of one worker together, as JSON bytes: bounds what one worker makes the engine hold. */
  readonly maxRegistrationBytesPerWorker: number
  /** How long the ids of a worker that dropped without a clean close stay reserved for its reattach. */
  readonly functionReservationMs: number
  /** Open TCP connections, all endpoints and addresses together, counted from accept: half-sent requests count too. */
  readonly maxConnections: number
  /** Open TCP connections from one remote address; loopback benches open about 520 from 127.0.0.1. */
  readonly maxConnectionsPerAddress: number
  /** An HTTP request or upgrade (and a TLS handshake) not complete this long after the connection opened is dropped. */
  readonly upgradeTimeoutMs: number
  /** Largest message on a `/otel` telemetry socket, in bytes. */
  readonly maxTelemetryMessageBytes: number
  /** A `/otel` socket that sends no message this long is closed (the official client reconnects). */
  readonly telemetryIdleMs: number
  /**
   * Bytes queued to one worker socket (ws's `bufferedAmount`: what the worker has not taken
   * yet) at which the engine stops forwarding invocations to it. Other messages it is owed
   * (results, engine answers) may take its queue to this plus `maxMessageBytes`, no further.
   */
  readonly maxQueuedBytesPerWorker: number
  /** A worker still at or over `maxQueuedBytesPerWorker` this long after reaching it is dropped. */
  readonly workerDrainGraceMs: number
  /** Bytes one channel may hold for its reader before its writer is paused (with `buffer_size` frames, whichever comes first). */
  readonly maxHeldBytesPerChannel: number
  /** Bytes all channels created by one worker may hold before their writers are paused, so one client cannot take the whole engine's budget. */
  readonly maxHeldBytesPerWorker: number
  /** Bytes all channels (and, in a cluster, the ends this node proxies) together may hold before every writer is paused. */
  readonly maxHeldBytes: number
  /**
   * Bytes a node holds for one channel end it proxies to the channel's home node, in each
   * direction, before it stops reading the side that sends them (resumed at half); all of them
   * together count against `maxHeldBytes` as well.
   */
  readonly maxProxyBytesPerEnd: number
  /**
   * With `otlpEndpoint`: bytes of `/otel` exports the engine holds for the collector, sent or
   * waiting; an export that would take it past this is dropped (`telemetry_dropped`, `queue_full`).
   */
  readonly maxOtlpQueueBytes: number
  /** With `otlpEndpoint`: an export the collector has not answered this long is dropped (and engine spans given up). */
  readonly otlpTimeoutMs: number
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxMessageBytes: 16 * 1024 * 1024,
  maxFrameBytes: 1024 * 1024,
  maxChannelsPerWorker: 4096,
  maxPendingInvocationsPerWorker: 10_000,
  maxBufferFrames: 1024,
  channelTtlMs: 5 * 60_000,
  maxFunctionsPerWorker: 1000,
  maxFunctionIdBytes: 256,
  maxRegistrationBytes: 64 * 1024,
  maxRegistrationBytesPerWorker: 8 * 1024 * 1024,
  functionReservationMs: 15_000,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 1024,
  upgradeTimeoutMs: 5_000,
  maxTelemetryMessageBytes: 1024 * 1024,
  // Over the official client's 60 s metrics interval, so an idle client is not cut every minute.
  telemetryIdleMs: 90_000,
  maxQueuedBytesPerWorker: 16 * 1024 * 1024,
  workerDrainGraceMs: 10_000,
  maxHeldBytesPerChannel: 16 * 1024 * 1024,
  maxHeldBytesPerWorker: 128 * 1024 * 1024,
  maxHeldBytes: 512 * 1024 * 1024,
  maxProxyBytesPerEnd: 2 * 1024 * 1024,
  maxOtlpQueueBytes: 16 * 1024 * 1024,
  otlpTimeoutMs: 10_000,
}

/** Frames a channel may hold when `engine::channels::create` names no `buffer_size` (iii's default). */
export const DEFAULT_BUFFER_FRAMES = 64

/** The defaults, overridden by whatever `overrides` sets; each limit must be a whole number of at least 1. */
export function resolveLimits(overrides: Partial<EngineLimits>): EngineLimits {
  const limits = { ...DEFAULT_LIMITS }
  for (const name of Object.keys(DEFAULT_LIMITS) as Array<keyof EngineLimits>) {
    const value = overrides[name]
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RxChannelsError('invalid_option', `${name} must be a whole number >= 1, got ${value}`)
    }
    limits[name] = value
  }
  return limits
}
