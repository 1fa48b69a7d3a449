import { clusterPrefix, spawnClusterEngine, type ClusterEngine, type ClusterEngineOptions } from '../../demos/support/cluster-engine'
import type { TsProcess } from '../../demos/support/processes'

export type { ClusterEngine }
import { requireRedisServer, startRedis, type TestRedis } from './redis'

/** Starts `rx-channels engine --redis ...` on a free port, with a short node TTL; resolves once it listens (and so has joined). */
export async function startClusterEngine(options: ClusterEngineOptions): Promise<ClusterEngine> {
  // Short in specs: a killed node is found dead in about this long.
  const { process, ready } = spawnClusterEngine({ nodeTtlMs: 1500, logLevel: 'info', ...options })
  try {
    return await ready
  } catch (error) {
    process.kill('SIGKILL')
    throw error
  }
}

/** Polls `check` every 20 ms until it returns a value other than undefined; fails naming `what` after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last === undefined ? '' : `; last error: ${(last as Error).message}`}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Engine processes of one suite on a Redis of its own. */
export interface RedisCluster {
  /** Starts one engine process per id, all in one new cluster (a prefix of their own), with `flags` added. */
  startNodes(nodeIds: readonly string[], flags?: readonly string[]): Promise<ClusterEngine[]>
  /** Has `child` stopped with the engines, before them. */
  track(child: TsProcess): void
  /** Stops every process started or tracked so far, newest first. */
  stopAll(): Promise<void>
  /** The suite's Redis, once started. */
  redis(): TestRedis
}

/**
 * For a suite: a `redis-server` of its own (the suite is pending where there is none, see
 * {@link requireRedisServer}) and the engine processes its tests start on it; all stopped after it.
 */
export function useRedisCluster(): RedisCluster {
  const processes: TsProcess[] = []
  let redis: TestRedis | undefined
  const stopAll = async () => {
    for (const child of processes.splice(0).reverse()) await child.stop()
  }
  before(async function () {
    requireRedisServer(this)
    redis = await startRedis()
  })
  after(async () => {
    await stopAll()
    await redis?.stop()
  })
  return {
    startNodes: async (nodeIds, flags = []) => {
      const prefix = clusterPrefix('spec')
      const started = await Promise.all(nodeIds.map((nodeId) => startClusterEngine({ redis: (redis as TestRedis).url, nodeId, prefix, flags })))
      processes.push(...started.map((engine) => engine.process))
      return started
    },
    track: (child) => processes.push(child),
    stopAll,
    redis: () => redis as TestRedis,
  }
}
