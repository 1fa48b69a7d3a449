import { randomBytes } from 'crypto'
import { ENGINE_NODE_FLAGS } from '../../lib/cli/heap-floor'
import { spawnTs, type TsProcess } from '../../demos/support/processes'
import { requireRedisServer, startRedis, type TestRedis } from './redis'

/** A cluster engine started from the CLI as its own process. */
export interface ClusterEngine {
  readonly process: TsProcess
  readonly url: string
  readonly nodeId: string
}

export interface ClusterEngineOptions {
  readonly redis: string
  readonly nodeId: string
  /** Keys and channels of one spec's cluster, so that specs sharing a Redis never see each other. */
  readonly prefix: string
  /** Short in specs: a killed node is found dead in about this long. */
  readonly nodeTtlMs?: number
  readonly logLevel?: string
  /** More flags for `rx-channels engine`, limits for instance. */
  readonly flags?: readonly string[]
}

/** A key prefix no other spec uses. */
export function clusterPrefix(): string {
  return `spec-${randomBytes(4).toString('hex')}:`
}

/** Starts `rx-channels engine --redis ...` on a free port; resolves once it listens (and so has joined). */
export async function startClusterEngine(options: ClusterEngineOptions): Promise<ClusterEngine> {
  const args = ['engine', '--port', '0', '--log-level', options.logLevel ?? 'info', '--redis', options.redis, '--node-id', options.nodeId]
  args.push('--node-ttl-ms', String(options.nodeTtlMs ?? 1500), '--redis-prefix', options.prefix, ...(options.flags ?? []))
  const process = spawnTs('lib/cli/main.ts', args, { nodeFlags: ENGINE_NODE_FLAGS })
  try {
    const [url] = await process.waitForLine(/ws:\/\/\S+/, 30_000)
    return { process, url, nodeId: options.nodeId }
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
      const prefix = clusterPrefix()
      const started = await Promise.all(nodeIds.map((nodeId) => startClusterEngine({ redis: (redis as TestRedis).url, nodeId, prefix, flags })))
      processes.push(...started.map((engine) => engine.process))
      return started
    },
    track: (child) => processes.push(child),
    stopAll,
  }
}
