import { randomBytes, randomUUID } from 'crypto'
import * as E from 'fp-ts/Either'
import type { Observer } from 'rxjs'
import type { Socket } from 'net'
import type WebSocket from 'ws'
import type { Logger } from '../log'
import type { ErrorBody } from '../protocol/messages'
import type { CreatedChannel, ListedChannel } from '../protocol/engine-functions'
import type { ChannelDirection } from '../protocol/refs'
import { homedChannelId } from '../protocol/channel-id'
import { CloseCode } from '../protocol/close-codes'
import { ChannelHeartbeat } from './channel-heartbeat'
import { logChannelOpen, type Relayed } from './channel-log'
import { ChannelRelay, type ChannelOwner, type EndPeer, type RelayContext } from './channel-relay'
import type { EngineEvent } from './events'
import type { HeldBytesBudget } from './held-bytes'
import { jsonBytes } from './json-bytes'
import { listedChannel } from './listed-channel'
import { PagedIndex, type Page, type PageBounds, type Slot } from './paged-index'
import { Tally } from './pruned-maps'
import { DEFAULT_BUFFER_FRAMES, type EngineLimits } from './limits'
import { secretsMatch } from './secrets'

interface ChannelEntry {
  readonly relay: ChannelRelay
  readonly listed: Slot<ChannelRelay>
  readonly keys: Readonly<Record<ChannelDirection, string>>
  readonly ownerWorkerId: string
  readonly createdAt: number
}

export type AttachOutcome =
  | { readonly ok: true; readonly relay: ChannelRelay }
  | { readonly ok: false; readonly status: 403 | 404; readonly reason: string }

/** 128 bits from a cryptographic source, URL-safe. */
function newAccessKey(): string {
  return randomBytes(16).toString('base64url')
}

type ChannelLimits = Pick<
  EngineLimits,
  'maxChannelsPerWorker' | 'maxBufferFrames' | 'channelTtlMs' | 'maxHeldBytesPerChannel' | 'maxHeldBytesPerWorker' | 'maxHeldBytes'
>

/**
 * The engine's channels by id, with one access key per direction. It also enforces the
 * channel limits: open channels per worker, frames and bytes held per channel, per creating
 * worker and engine-wide, the TTL of channels that were never connected on both ends, and
 * the liveness of every channel socket (see {@link ChannelHeartbeat}).
 */
export class ChannelRegistry {
  // A Map iterates in insertion order, which is creation order: the sweep relies on it.
  private readonly channels = new Map<string, ChannelEntry>()
  private readonly openByOwner = new Tally<string>()
  /** The same channels, for paged listings. */
  private readonly listing = new PagedIndex<ChannelRelay>()
  /** What went through channels that have finished; with the open ones', all that went through since the start. */
  private readonly finishedRelayed = { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0 }
  private readonly heartbeat: ChannelHeartbeat
  private readonly relayContext: RelayContext

  /** `heartbeatMs` is the window in which a channel socket's peer must show progress; see {@link beat}. */
  constructor(
    private readonly limits: ChannelLimits,
    private readonly logger: Logger,
    private readonly events: Observer<EngineEvent>,
    private readonly now: () => number,
    heartbeatMs: number,
    /** Shared with the ends this node proxies to other nodes: they count against `maxHeldBytes` too. */
    private readonly budget: HeldBytesBudget,
    /** The cluster node this engine is, named in the ids of its channels; absent on an engine on its own. */
    private readonly homeId?: string,
  ) {
    this.heartbeat = new ChannelHeartbeat(heartbeatMs, logger)
    this.relayContext = { logger, events, budget: this.budget, heartbeat: this.heartbeat, maxHeldBytesPerChannel: limits.maxHeldBytesPerChannel, now }
  }

  get size(): number {
    return this.channels.size
  }

  /** Frames held across all channels: queued for a reader or in flight to it. */
  get heldFrames(): number {
    let held = 0
    for (const entry of this.channels.values()) held += entry.relay.heldFrames
    return held
  }

  /** Bytes held across all channels: queued for a reader or in flight to it. */
  get heldBytes(): number {
    let held = 0
    for (const entry of this.channels.values()) held += entry.relay.heldBytes
    return held
  }

  /** The open channels, in creation order. */
  *relays(): IterableIterator<ChannelRelay> {
    for (const entry of this.channels.values()) yield entry.relay
  }

  /** One page of the open channels as `engine::channels::list` shows them, in creation order (see {@link PagedIndex}). */
  list(cursor: number | undefined, bounds: PageBounds): Page<ListedChannel> {
    const now = this.now()
    const listed = new Map<ChannelRelay, ListedChannel>()
    const sizeOf = (relay: ChannelRelay) => {
      const entry = listedChannel(relay, now, this.homeId)
      listed.set(relay, entry)
      return jsonBytes(entry) ?? 0
    }
    const page = this.listing.page(cursor, bounds, sizeOf)
    return { items: page.items.map((relay) => listed.get(relay) as ListedChannel), nextCursor: page.nextCursor }
  }

  /** Every open channel as `engine::channels::list` shows it, in creation order. */
  listAll(): ListedChannel[] {
    const now = this.now()
    return [...this.channels.values()].map((entry) => listedChannel(entry.relay, now, this.homeId))
  }

  /** Frames and bytes taken from writers and sent to readers since the engine started, summed when asked. */
  relayedSinceStart(): Relayed {
    const total = { ...this.finishedRelayed }
    for (const entry of this.channels.values()) addRelayed(total, entry.relay.relayedSoFar)
    return total
  }

  /** Pings every channel socket and drops those whose peer made no progress since the last beat; run every `heartbeatMs`. */
  beat(): void {
    this.heartbeat.beat()
  }

  /**
   * Creates a channel holding at most `bufferSize` frames (default 64, capped at
   * `maxBufferFrames`), or refuses with `too_many_channels` when its creator is at its limit.
   */
  create(bufferSize: number | undefined, owner: ChannelOwner): E.Either<ErrorBody, CreatedChannel> {
    const ownerWorkerId = owner.id
    const open = this.openByOwner.of(ownerWorkerId)
    if (open >= this.limits.maxChannelsPerWorker) {
      this.logger.warn(`worker ${owner.label}: refused a channel, it has ${open} open (maxChannelsPerWorker)`, owner.logFields)
      return E.left({
        code: 'too_many_channels',
        message: `this worker already has ${open} open channels, the engine's limit (maxChannelsPerWorker); finish some first`,
      })
    }
    const granted = Math.min(bufferSize ?? DEFAULT_BUFFER_FRAMES, this.limits.maxBufferFrames)
    // In a cluster the id names this node, so that other nodes proxy its ends here.
    const channelId = this.homeId === undefined ? randomUUID() : homedChannelId(this.homeId, randomUUID())
    const keys = { write: newAccessKey(), read: newAccessKey() }
    const relay = new ChannelRelay(channelId, granted, owner, this.relayContext, () => this.remove(channelId))
    this.channels.set(channelId, { relay, listed: this.listing.add(relay), keys, ownerWorkerId, createdAt: this.now() })
    this.openByOwner.add(ownerWorkerId, 1)
    logChannelOpen(this.logger, channelId, owner, granted)
    this.events.next({ type: 'channel_created', channel_id: channelId, buffer_size: granted })
    return E.right({
      writer: { channel_id: channelId, access_key: keys.write, direction: 'write' },
      reader: { channel_id: channelId, access_key: keys.read, direction: 'read' },
      buffer_size: granted,
    })
  }

  /** Checks a channel upgrade before it is accepted; refusals become HTTP answers. */
  authorize(channelId: string, direction: ChannelDirection, key: string): AttachOutcome {
    const entry = this.channels.get(channelId)
    if (!entry) return { ok: false, status: 404, reason: 'unknown or expired channel' }
    if (!secretsMatch(entry.keys[direction], key)) {
      return { ok: false, status: 403, reason: `access key does not grant ${direction} access to this channel` }
    }
    return { ok: true, relay: entry.relay }
  }

  /** Hands an accepted socket (`socket` is the connection under it) to its channel, or closes it at once if that end is taken. */
  attach(relay: ChannelRelay, direction: ChannelDirection, ws: WebSocket, socket: Socket, peer: EndPeer): void {
    if (relay.isTaken(direction)) {
      // Watched too: its closing handshake has no absolute timer.
      this.heartbeat.watch(ws, socket, () => undefined)
      ws.close(CloseCode.EndTaken, `the ${direction} end of this channel is already connected`)
      return
    }
    relay.peers[direction] = peer
    if (direction === 'write') relay.attachWriter(ws, socket)
    else relay.attachReader(ws, socket)
  }

  /** Fails every channel created by a worker that has gone; a stream that ended cleanly still drains to its reader. */
  dropOwnedBy(workerId: string, reason: string): void {
    for (const entry of [...this.channels.values()]) {
      if (entry.ownerWorkerId === workerId && !entry.relay.draining) entry.relay.abort(CloseCode.WriterAborted, reason)
    }
  }

  /** Expires channels older than the TTL that were never connected on both ends. */
  sweep(): void {
    const expiredBefore = this.now() - this.limits.channelTtlMs
    // Expiring deletes the entry, which a Map allows while it is iterated.
    for (const entry of this.channels.values()) {
      // Creation order: every later channel is younger still.
      if (entry.createdAt > expiredBefore) break
      if (!entry.relay.connectedOnBothEnds) entry.relay.expire(this.limits.channelTtlMs)
    }
  }

  abortAll(code: number, reason: string): void {
    for (const entry of [...this.channels.values()]) entry.relay.abort(code, reason)
  }

  private remove(channelId: string): void {
    const entry = this.channels.get(channelId)
    if (entry === undefined) return
    this.channels.delete(channelId)
    this.listing.remove(entry.listed)
    addRelayed(this.finishedRelayed, entry.relay.relayedSoFar)
    this.openByOwner.add(entry.ownerWorkerId, -1)
  }
}

function addRelayed(total: { framesIn: number; bytesIn: number; framesOut: number; bytesOut: number }, more: Relayed): void {
  total.framesIn += more.framesIn
  total.bytesIn += more.bytesIn
  total.framesOut += more.framesOut
  total.bytesOut += more.bytesOut
}
