import { RxChannelsError } from '../../errors'
import type { ClusterStore } from './cluster-store'

/**
 * Resolves once no live node holds `nodeId`; rejects with `invalid_option` if one does. A
 * membership left under the id may be a previous run of this node, killed within the TTL
 * (which the caller then clears), or a second engine given the same id, which would take over
 * the first one's functions, inbox and channels in silence. Only the live one renews: watched
 * for one TTL (its renewals come every third of it), a renewal shows as its expiry moving
 * later, and a key that expires or is never renewed was left by a dead run.
 */
export async function checkNodeIdFree(store: ClusterStore, nodeId: string, ttlMs: number): Promise<void> {
  let seen = await store.membership(nodeId)
  if (seen === undefined) return
  const pollMs = Math.max(20, Math.floor(ttlMs / 10))
  const deadline = Date.now() + ttlMs
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, pollMs))
    const now = await store.membership(nodeId)
    if (now === undefined) return
    if (now.expiresInMs > seen.expiresInMs) {
      throw new RxChannelsError('invalid_option', `node id ${nodeId} is in use by a live node at ${now.url}: give each engine of a cluster its own node id`)
    }
    seen = now
  }
}
