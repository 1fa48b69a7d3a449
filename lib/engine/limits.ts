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
  /**
   * Bytes queued to one worker socket (ws's `bufferedAmount`: what the worker has not taken
   * yet) at which the engine stops forwarding invocations to it. Other messages it is owed
   * (results, engine answers) may take its queue to this plus `maxMessageBytes`, no further.
   */
  readonly maxQueuedBytesPerWorker: number
  /** A worker still at or over `maxQueuedBytesPerWorker` this long after reaching it is dropped. */
  readonly workerDrainGraceMs: number
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxMessageBytes: 16 * 1024 * 1024,
  maxFrameBytes: 1024 * 1024,
  maxChannelsPerWorker: 4096,
  maxPendingInvocationsPerWorker: 10_000,
  maxBufferFrames: 1024,
  channelTtlMs: 5 * 60_000,
  maxQueuedBytesPerWorker: 16 * 1024 * 1024,
  workerDrainGraceMs: 10_000,
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
