import type { Logger } from '../../log'
import type { ChannelHomes } from '../channel-homes'
import type { ClusterStore } from './cluster-store'

export interface MembershipEvents {
  /** This node (re)joined: first start, a restarted Redis, or it had been found dead. Its registry must be written again. */
  rejoined(): void
  /** Node `nodeId` left or died. */
  gone(nodeId: string, reason: string): void
  /** This node could not renew its membership: the others may soon count it dead. */
  renewFailed(reason: string): void
}

/**
 * Which nodes are in the cluster, and where each serves. This node renews its membership (a
 * key with an expiry, kept by Redis's clock, so clocks of nodes need not agree) every third of
 * the TTL, and looks at the others' every fifth: a node whose key expired is removed, with its
 * functions and workers, by whichever node notices first. After a reconnect to Redis, no node
 * is found dead for one TTL: a restarted Redis is empty until every node has renewed.
 */
export class Membership implements ChannelHomes {
  private readonly urls = new Map<string, string>()
  private url = ''
  private graceUntil = 0
  private renewTimer?: NodeJS.Timeout
  private pollTimer?: NodeJS.Timeout
  private polling = false
  private stopped = false

  constructor(
    readonly selfId: string,
    private readonly ttlMs: number,
    private readonly store: ClusterStore,
    private readonly now: () => number,
    private readonly events: MembershipEvents,
    private readonly logger: Logger,
    private readonly redact: (text: string) => string,
  ) {}

  urlOf(nodeId: string): string | undefined {
    return this.urls.get(nodeId)
  }

  /** The nodes known to be live, this one included, with their addresses. */
  get members(): ReadonlyMap<string, string> {
    return this.urls
  }

  /** Joins with `url` as this node's address, and keeps renewing and watching until {@link stop}. */
  async start(url: string): Promise<void> {
    this.url = url
    this.urls.set(this.selfId, url)
    await this.renew()
    await this.poll()
    this.renewTimer = setInterval(() => void this.renew().catch((error: unknown) => this.renewFailed(error)), Math.max(100, Math.floor(this.ttlMs / 3)))
    this.pollTimer = setInterval(() => void this.poll().catch((error: unknown) => this.failed('look at the other nodes', error)), Math.max(50, Math.floor(this.ttlMs / 5)))
    this.renewTimer.unref()
    this.pollTimer.unref()
  }

  stop(): void {
    this.stopped = true
    clearInterval(this.renewTimer)
    clearInterval(this.pollTimer)
  }

  /** Redis is back after an outage: renew at once, and find nobody dead for one TTL. */
  reconnected(): void {
    this.graceUntil = this.now() + this.ttlMs
    if (this.url !== '') void this.renew().catch((error: unknown) => this.renewFailed(error))
  }

  /** A node announced itself. */
  joined(nodeId: string, url: string): void {
    if (nodeId === this.selfId) return
    if (!this.urls.has(nodeId)) this.logger.info(`cluster: node ${nodeId} joined at ${url}`)
    this.urls.set(nodeId, url)
  }

  /** A node was removed: by whichever node found its membership `expired`, or by itself on leaving. */
  removed(nodeId: string, expired: boolean): void {
    if (this.stopped) return
    if (nodeId === this.selfId) {
      // Found dead (a long pause, or Redis lost it): join again at once, with the registry.
      this.logger.warn('cluster: this node was found dead by the others; joining again')
      void this.renew().catch((error: unknown) => this.renewFailed(error))
      return
    }
    this.forget(nodeId, expired ? deathOf(nodeId, this.ttlMs) : `node ${nodeId} left the cluster`)
  }

  private async renew(): Promise<void> {
    if (await this.store.heartbeat(this.url, this.ttlMs)) this.events.rejoined()
  }

  private async poll(): Promise<void> {
    if (this.polling) return
    this.polling = true
    try {
      const members = await this.store.members()
      const inGrace = this.now() < this.graceUntil
      const listed = new Set<string>()
      for (const [nodeId, url] of members) {
        listed.add(nodeId)
        if (nodeId === this.selfId) continue
        if (url !== null) this.joined(nodeId, url)
        else if (!inGrace && (await this.store.removeNode(nodeId, true))) this.forget(nodeId, deathOf(nodeId, this.ttlMs))
      }
      if (!inGrace) for (const nodeId of [...this.urls.keys()]) if (nodeId !== this.selfId && !listed.has(nodeId)) this.forget(nodeId, `node ${nodeId} left the cluster`)
    } finally {
      this.polling = false
    }
  }

  private forget(nodeId: string, reason: string): void {
    if (this.urls.delete(nodeId)) this.logger.info(`cluster: ${reason}`)
    // Told even when this node had not seen it join: it may have called, or been called, meanwhile.
    this.events.gone(nodeId, reason)
  }

  private renewFailed(error: unknown): void {
    if (this.stopped) return
    this.failed('renew this node', error)
    this.events.renewFailed(this.redact((error as Error).message))
  }

  private failed(what: string, error: unknown): void {
    this.logger.debug(`cluster: could not ${what}: ${this.redact((error as Error).message)}`)
  }
}

function deathOf(nodeId: string, ttlMs: number): string {
  return `node ${nodeId} died: its membership expired (${ttlMs} ms without renewal)`
}
