import { randomBytes } from 'crypto'
import { RxChannelsError } from '../../errors'

/** How an engine joins a cluster of engines that share one Redis. */
export interface ClusterOptions {
  /** `redis://[[user]:password@]HOST:PORT[/db]` (or `rediss://`). Its password is never logged. */
  readonly redis: string
  /** This node's id: `[A-Za-z0-9_-]{1,64}`, unique in the cluster. Default: random. */
  readonly nodeId?: string
  /**
   * `ws://HOST:PORT` (or `wss://`) where the other nodes reach this one. Default: the engine's
   * own address, which must then name a specific host (not 0.0.0.0 or ::).
   */
  readonly advertise?: string
  /**
   * A node that has not renewed its membership for this long is dead: its functions leave the
   * registry and invocations waiting on it fail with `invocation_stopped`. Default 10 000 ms.
   */
  readonly nodeTtlMs?: number
  /** Prefix of every Redis key and channel the cluster uses, so that clusters can share a server. Default `rx-channels:`. */
  readonly keyPrefix?: string
}

export const DEFAULT_NODE_TTL_MS = 10_000
export const DEFAULT_KEY_PREFIX = 'rx-channels:'
/** Below this, renewals every third of the TTL would flood Redis and a pause of the event loop would look like a death. */
const MIN_NODE_TTL_MS = 300

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '', '[::]'])

export interface ResolvedCluster {
  readonly redis: string
  readonly nodeId: string
  /** Absent: the engine's own address, known once it listens. */
  readonly advertise?: string
  readonly nodeTtlMs: number
  readonly keyPrefix: string
}

/** Checks the options against the engine's `host`, or throws a coded error that says what is wrong. */
export function resolveCluster(options: ClusterOptions, host: string): ResolvedCluster {
  const invalid = (message: string) => new RxChannelsError('invalid_option', message)
  if (!/^rediss?:\/\//.test(options.redis)) throw invalid('cluster.redis must be a redis:// or rediss:// URL')
  const nodeId = options.nodeId ?? randomBytes(6).toString('hex')
  if (!NODE_ID.test(nodeId)) throw invalid(`cluster.nodeId must be 1 to 64 of A-Z a-z 0-9 _ -, got ${JSON.stringify(nodeId.slice(0, 80))}`)
  const nodeTtlMs = options.nodeTtlMs ?? DEFAULT_NODE_TTL_MS
  if (!Number.isInteger(nodeTtlMs) || nodeTtlMs < MIN_NODE_TTL_MS) throw invalid(`cluster.nodeTtlMs must be a whole number >= ${MIN_NODE_TTL_MS}, got ${nodeTtlMs}`)
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
  if (options.advertise !== undefined && !/^wss?:\/\/[^/\s]+$/.test(options.advertise)) {
    throw invalid(`cluster.advertise must be ws://HOST:PORT or wss://HOST:PORT, got ${JSON.stringify(options.advertise.slice(0, 200))}`)
  }
  if (options.advertise === undefined && WILDCARD_HOSTS.has(host)) {
    throw invalid(`an engine listening on every interface (${host || 'all'}) cannot tell other nodes its address: give cluster.advertise (--advertise ws://HOST:PORT)`)
  }
  return { redis: options.redis, nodeId, advertise: options.advertise, nodeTtlMs, keyPrefix }
}
