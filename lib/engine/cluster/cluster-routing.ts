import * as E from 'fp-ts/Either'
import Redis from 'ioredis'
import { RxChannelsError } from '../../errors'
import { clip } from '../../protocol/decode'
import type { EngineRouting, RoutingContext } from '../engine-routing'
import { LocalFunctionRegistry } from '../local-function-registry'
import { LocalInvocationRouter } from '../local-invocation-router'
import { ClusterEvent, decodeJson, FunctionClaim, WorkerListing } from './cluster-events'
import { resolveCluster, type ClusterOptions, type ResolvedCluster } from './cluster-options'
import { ClusterFunctionRegistry } from './cluster-registry'
import { ClusterInvocationRouter } from './cluster-router'
import { ClusterStore, type ClusterSnapshot } from './cluster-store'
import { Membership } from './membership'
import { checkNodeIdFree } from './node-id-check'
import { NodePeer } from './node-peer'
import { Outbox } from './outbox'
import { clusterKeys } from './redis-keys'
import { RedisUrlRedaction } from './redis-url'
import { RegistryMirror } from './registry-mirror'

/** Reconnect attempts to Redis come this often at most, so that a restarted Redis is found again within a second. */
const MAX_RECONNECT_DELAY_MS = 1_000

/**
 * The routing of an engine that is a node of a cluster (see {@link ClusterOptions}): it connects
 * to Redis before the engine listens, joins once it does, and leaves when it closes.
 */
export function clusterRouting(options: ClusterOptions, host: string) {
  return (context: RoutingContext): Promise<EngineRouting> => joinCluster(resolveCluster(options, host), context)
}

async function joinCluster(cluster: ResolvedCluster, { limits, logger, events, now, tracing }: RoutingContext): Promise<EngineRouting> {
  const { nodeId } = cluster
  const redaction = new RedisUrlRedaction(cluster.redis)
  const redact = (text: string) => redaction.redact(text)
  const keys = clusterKeys(cluster.keyPrefix)
  const connection = {
    lazyConnect: true,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    connectionName: `rx-channels:${nodeId}`,
  }
  // Commands fail at once while Redis is away rather than queue without bound; cross-node work fails fast meanwhile.
  // A Redis that stops answering (paused, overloaded) fails commands after one TTL instead of holding them, and their callers, forever.
  const commands = new Redis(cluster.redis, { ...connection, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: cluster.nodeTtlMs })
  const subscriber = new Redis(cluster.redis, { ...connection, maxRetriesPerRequest: null })
  let outage = false
  const onError = (error: Error) => {
    if (!outage) logger.debug(`cluster: Redis at ${redaction.safeUrl}: ${redact(error.message)}`)
  }
  commands.on('error', onError)
  subscriber.on('error', onError)
  try {
    await Promise.all([commands.connect(), subscriber.connect()])
  } catch (error) {
    commands.disconnect()
    subscriber.disconnect()
    throw new RxChannelsError('cluster_unavailable', `cannot reach Redis at ${redaction.safeUrl}: ${redact((error as Error).message)}`)
  }

  const store = new ClusterStore(commands, keys, nodeId)
  const outbox = new Outbox(commands, limits.maxQueuedBytesPerWorker)
  const mirror = new RegistryMirror()
  const peers = new Map<string, NodePeer>()
  const peerOf = (peerId: string) => {
    let peer = peers.get(peerId)
    if (peer === undefined) {
      peer = new NodePeer(peerId, keys.inbox(peerId), nodeId, outbox, (to, frame, reason) => router.undelivered(to, frame, redact(reason)))
      peers.set(peerId, peer)
    }
    return peer
  }
  const local = new LocalInvocationRouter(
    // A node's pending invocations to this one are bounded at that node, per calling worker.
    (caller) => (caller instanceof NodePeer ? Number.POSITIVE_INFINITY : limits.maxPendingInvocationsPerWorker),
    logger,
    events,
    now,
    tracing,
  )
  const localRegistry = new LocalFunctionRegistry(limits, now)
  const available = () => commands.status === 'ready' && subscriber.status === 'ready'
  const router = new ClusterInvocationRouter({ local, localOwner: (id) => localRegistry.owner(id), available, peerOf, peers: () => peers.values(), logger })
  const registry = new ClusterFunctionRegistry({ local: localRegistry, mirror, store, nodeId, peerOf, logger, redact })
  const membership = new Membership(
    nodeId,
    cluster.nodeTtlMs,
    store,
    now,
    {
      rejoined: () => {
        // Out of the cluster meanwhile (found dead, or Redis restarted empty): the other nodes
        // may have dropped what they owed this one, so its calls in flight cannot count on an answer.
        router.failCrossNode('this node was out of the cluster (found dead by the others, or Redis restarted), and the result may be lost')
        registry.announce()
      },
      // Redis did not take the renewal in time (it is gone, paused or overloaded): results in flight may never come.
      renewFailed: (reason) => router.failCrossNode(`Redis did not answer in time (${reason}), and the result may be lost`),
      gone: (goneId, reason) => {
        mirror.dropNode(goneId)
        const peer = peers.get(goneId)
        if (peer === undefined) return
        peers.delete(goneId)
        router.nodeGone(peer, reason)
      },
    },
    logger,
    redact,
  )

  const apply = (text: string) => {
    const decoded = decodeJson(ClusterEvent, text)
    if (E.isLeft(decoded)) {
      logger.warn(`cluster: ignored an event: ${decoded.left}`)
      return
    }
    applyEvent(decoded.right, { mirror, membership, logger })
  }
  // Events that arrive while the mirror is rebuilt from a snapshot are applied after it, in order.
  let held: string[] | undefined
  const rebuild = async () => {
    held = []
    try {
      await subscriber.subscribe(keys.events, keys.inbox(nodeId))
      loadSnapshot(await store.snapshot(), { mirror, membership, logger, nodeId })
    } finally {
      const events = held
      held = undefined
      for (const text of events) apply(text)
    }
  }
  subscriber.on('message', (channel: string, message: string) => {
    if (channel === keys.events) {
      if (held) held.push(message)
      else apply(message)
    } else if (channel === keys.inbox(nodeId)) router.receive(message)
  })

  const lost = () => {
    if (outage) return
    outage = true
    logger.warn(`cluster: lost the connection to Redis at ${redaction.safeUrl}; cross-node invocations fail with cluster_unavailable until it is back`)
    router.failCrossNode('the connection to Redis was lost, and the result with it')
  }
  const back = () => {
    if (!outage || !available()) return
    outage = false
    logger.info(`cluster: Redis at ${redaction.safeUrl} is back`)
  }
  commands.on('close', lost)
  subscriber.on('close', lost)
  // The registry is reloaded once both connections are back, whichever comes back last: the
  // snapshot is read through `commands`, which refuses commands until it is ready (a reload
  // started by the subscriber alone failed, and left this node's copy stale for good).
  const reload = () => {
    if (!available()) return
    rebuild().then(back, (error: unknown) => logger.warn(`cluster: could not reload the registry from Redis: ${redact((error as Error).message)}`))
  }
  commands.on('ready', () => {
    membership.reconnected()
    registry.announce()
    reload()
  })
  subscriber.on('ready', reload)

  try {
    await checkNodeIdFree(store, nodeId, cluster.nodeTtlMs)
  } catch (error) {
    commands.disconnect()
    subscriber.disconnect()
    if (error instanceof RxChannelsError) throw error
    throw new RxChannelsError('cluster_unavailable', `cannot read the cluster from Redis at ${redaction.safeUrl}: ${redact((error as Error).message)}`)
  }
  try {
    // What a previous run of this node left (it was killed, and restarted within the TTL) is
    // stale: its workers are gone. Cleared before this node listens to the cluster's events.
    await store.removeNode(nodeId, false)
    await rebuild()
  } catch (error) {
    commands.disconnect()
    subscriber.disconnect()
    throw new RxChannelsError('cluster_unavailable', `cannot read the cluster from Redis at ${redaction.safeUrl}: ${redact((error as Error).message)}`)
  }
  logger.info(`cluster: node ${nodeId} connected to Redis at ${redaction.safeUrl}`)

  return {
    functions: registry,
    invocations: router,
    channelHomes: membership,
    start: async (url) => {
      const advertised = cluster.advertise ?? url
      await membership.start(advertised)
      logger.info(`cluster: node ${nodeId} joined at ${advertised}`)
    },
    close: async () => {
      membership.stop()
      commands.removeAllListeners('ready')
      subscriber.removeAllListeners('ready')
      commands.off('close', lost)
      subscriber.off('close', lost)
      // Deaf first: this node's own removal is not news to it.
      subscriber.disconnect()
      if (commands.status === 'ready') await store.removeNode(nodeId, false).catch(() => undefined)
      if (commands.status === 'ready') await commands.quit().catch(() => undefined)
      commands.disconnect()
    },
  }
}

interface Applying {
  readonly mirror: RegistryMirror
  readonly membership: Membership
  readonly logger: RoutingContext['logger']
}

function applyEvent(event: ClusterEvent, { mirror, membership, logger }: Applying): void {
  switch (event.op) {
    case 'claim': {
      const claim = decodeJson(FunctionClaim, event.entry)
      if (E.isRight(claim)) mirror.claim(event.id, claim.right)
      else logger.warn(`cluster: ignored the claim of ${clip(event.id)}: ${claim.left}`)
      return
    }
    case 'release':
      mirror.release(event.id, event.node, event.worker)
      return
    case 'worker': {
      const listing = decodeJson(WorkerListing, event.entry)
      if (E.isRight(listing)) mirror.putWorker(listing.right)
      else logger.warn(`cluster: ignored a worker listing: ${listing.left}`)
      return
    }
    case 'worker-left':
      mirror.removeWorker(event.node, event.worker)
      return
    case 'node-joined':
      membership.joined(event.node, event.url)
      return
    case 'node-gone':
      membership.removed(event.node, event.expired)
      return
  }
}

function loadSnapshot(snapshot: ClusterSnapshot, { mirror, membership, logger, nodeId }: Applying & { readonly nodeId: string }): void {
  mirror.clear()
  for (const [workerId, text] of Object.entries(snapshot.workers)) {
    const listing = decodeJson(WorkerListing, text)
    if (E.isRight(listing)) mirror.putWorker(listing.right)
    else logger.warn(`cluster: ignored the listing of worker ${clip(workerId, 40)}: ${listing.left}`)
  }
  for (const [functionId, text] of Object.entries(snapshot.functions)) {
    const claim = decodeJson(FunctionClaim, text)
    if (E.isRight(claim)) mirror.claim(functionId, claim.right)
    else logger.warn(`cluster: ignored the claim of ${clip(functionId)}: ${claim.left}`)
  }
  for (const [memberId, url] of snapshot.members) if (url !== null && memberId !== nodeId) membership.joined(memberId, url)
}
