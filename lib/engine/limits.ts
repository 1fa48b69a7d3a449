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
  /** Bytes one channel may hold for its reader before its writer is paused (with `buffer_size` frames, whichever comes first). */
  readonly maxHeldBytesPerChannel: number
  /** Bytes all channels created by one worker may hold before their writers are paused, so one client cannot take the whole engine's budget. */
  readonly maxHeldBytesPerWorker: number
  /** Bytes all channels together may hold before every writer is paused. */
  readonly maxHeldBytes: number
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxMessageBytes: 16 * 1024 * 1024,
  maxFrameBytes: 1024 * 1024,
  maxChannelsPerWorker: 4096,
  maxPendingInvocationsPerWorker: 10_000,
  maxBufferFrames: 1024,
  channelTtlMs: 5 * 60_000,
  maxHeldBytesPerChannel: 16 * 1024 * 1024,
  maxHeldBytesPerWorker: 128 * 1024 * 1024,
  maxHeldBytes: 512 * 1024 * 1024,
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
