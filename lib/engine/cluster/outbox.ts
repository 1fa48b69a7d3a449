import type Redis from 'ioredis'

/**
 * What this node publishes to the other nodes' inboxes, counted in bytes until Redis has
 * taken it: the bound that keeps a slow or unreachable Redis from piling invocations up in
 * this process. Past `maxBytes` the nodes this one calls count as backed up.
 */
export class Outbox {
  private bytes = 0

  constructor(
    private readonly redis: Redis,
    readonly maxBytes: number,
  ) {}

  get queuedBytes(): number {
    return this.bytes
  }

  get full(): boolean {
    return this.bytes >= this.maxBytes
  }

  /** Publishes `message` on `channel`; resolves with how many subscribers took it (0: nobody listens there). */
  async publish(channel: string, message: string): Promise<number> {
    const size = Buffer.byteLength(message, 'utf8')
    this.bytes += size
    try {
      return await this.redis.publish(channel, message)
    } finally {
      this.bytes -= size
    }
  }
}
