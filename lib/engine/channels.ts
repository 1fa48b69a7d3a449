import { randomBytes, randomUUID, timingSafeEqual } from 'crypto'
import type { Observer } from 'rxjs'
import type WebSocket from 'ws'
import type { Logger } from '../log'
import type { ChannelDirection, ChannelPair } from '../protocol/refs'
import { CloseCode } from '../protocol/close-codes'
import { ChannelRelay } from './channel-relay'
import type { EngineEvent } from './events'

export const DEFAULT_BUFFER_SIZE = 64
export const MAX_BUFFER_SIZE = 1024

interface ChannelEntry {
  readonly relay: ChannelRelay
  readonly keys: Readonly<Record<ChannelDirection, Buffer>>
  readonly ownerWorkerId?: string
}

export type AttachOutcome =
  | { readonly ok: true; readonly relay: ChannelRelay }
  | { readonly ok: false; readonly status: 403 | 404; readonly reason: string }

/** 128 bits from a cryptographic source, URL-safe. */
function newAccessKey(): string {
  return randomBytes(16).toString('base64url')
}

function keysMatch(expected: Buffer, offered: string): boolean {
  const offeredBytes = Buffer.from(offered, 'utf8')
  // timingSafeEqual needs equal lengths; compare against itself to keep the time flat.
  if (offeredBytes.length !== expected.length) {
    timingSafeEqual(expected, expected)
    return false
  }
  return timingSafeEqual(expected, offeredBytes)
}

/** The engine's channels by id, with one access key per direction. */
export class ChannelRegistry {
  private readonly channels = new Map<string, ChannelEntry>()

  constructor(
    private readonly logger: Logger,
    private readonly events: Observer<EngineEvent>,
  ) {}

  get size(): number {
    return this.channels.size
  }

  /** Frames held across all channels: queued for a reader or in flight to it. */
  get heldFrames(): number {
    let held = 0
    for (const entry of this.channels.values()) held += entry.relay.heldFrames
    return held
  }

  create(bufferSize: number, ownerWorkerId?: string): ChannelPair {
    const channelId = randomUUID()
    const writeKey = newAccessKey()
    const readKey = newAccessKey()
    const relay = new ChannelRelay(channelId, bufferSize, this.logger, this.events, () => this.channels.delete(channelId))
    this.channels.set(channelId, {
      relay,
      keys: { write: Buffer.from(writeKey, 'utf8'), read: Buffer.from(readKey, 'utf8') },
      ownerWorkerId,
    })
    this.events.next({ type: 'channel_created', channel_id: channelId, buffer_size: bufferSize })
    return {
      writer: { channel_id: channelId, access_key: writeKey, direction: 'write' },
      reader: { channel_id: channelId, access_key: readKey, direction: 'read' },
    }
  }

  /** Checks a channel upgrade before it is accepted; refusals become HTTP answers. */
  authorize(channelId: string, direction: ChannelDirection, key: string): AttachOutcome {
    const entry = this.channels.get(channelId)
    if (!entry) return { ok: false, status: 404, reason: 'unknown or expired channel' }
    if (!keysMatch(entry.keys[direction], key)) {
      return { ok: false, status: 403, reason: `access key does not grant ${direction} access to this channel` }
    }
    return { ok: true, relay: entry.relay }
  }

  /** Hands an accepted socket to its channel, or closes it at once if that end is taken. */
  attach(relay: ChannelRelay, direction: ChannelDirection, ws: WebSocket): void {
    if (relay.isTaken(direction)) {
      ws.close(CloseCode.EndTaken, `the ${direction} end of this channel is already connected`)
      return
    }
    if (direction === 'write') relay.attachWriter(ws)
    else relay.attachReader(ws)
  }

  /** Fails every channel created by a worker that has gone. */
  dropOwnedBy(workerId: string, reason: string): void {
    for (const entry of [...this.channels.values()]) {
      if (entry.ownerWorkerId === workerId) entry.relay.abort(CloseCode.WriterAborted, reason)
    }
  }

  abortAll(code: number, reason: string): void {
    for (const entry of [...this.channels.values()]) entry.relay.abort(code, reason)
  }
}
