import { registerWorker, silentLogger, type WorkerClient } from '../../lib'
import { clusterPrefix, spawnClusterEngine, type ClusterEngine } from '../../demos/support/cluster-engine'
import { onInterrupt } from '../../demos/support/interrupt'
import { spawnTs } from '../../demos/support/processes'
import { freePort, spawnRedisServer } from '../../demos/support/redis-server'
import { Started } from '../../demos/support/started'

/** Bench workers (bench/cluster/worker.ts) by name, and the node each is on. */
export const WORKERS = { a1: 'a', a2: 'a', a3: 'a', a4: 'a', b1: 'b', b2: 'b', c1: 'c' } as const
export type WorkerName = keyof typeof WORKERS

/** A running cluster for the bench: Redis, engines a, b and c, the workers, and a client in this process on a and on b. */
export interface BenchCluster {
  readonly engines: Readonly<Record<'a' | 'b' | 'c', ClusterEngine>>
  readonly clients: Readonly<Record<'a' | 'b', WorkerClient>>
  readonly started: Started
  stop(): Promise<void>
}

/** Resolves once every node lists every bench function, so that no call races a registration across nodes. */
async function allListed(client: WorkerClient, functionIds: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { functions } = (await client.trigger({ function_id: 'engine::functions::list', payload: {} })) as { functions: Array<{ function_id: string }> }
    const listed = new Set(functions.map((entry) => entry.function_id))
    if (functionIds.every((id) => listed.has(id))) return
    if (Date.now() > deadline) throw new Error(`bench functions not listed within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export async function startBenchCluster(): Promise<BenchCluster> {
  const started = new Started()
  const clients: WorkerClient[] = []
  const stop = async () => {
    await Promise.all(clients.map((client) => client.shutdown()))
    await started.stopAll()
  }
  // Ctrl-C mid-run must not leave a redis-server, engines or workers behind.
  onInterrupt(stop)
  try {
    const redis = started.ownRedis(spawnRedisServer(await freePort()))
    await redis.ready
    const prefix = clusterPrefix('bench')
    const [a, b, c] = await Promise.all(
      (['a', 'b', 'c'] as const).map((nodeId) => {
        const { process, ready } = spawnClusterEngine({ redis: redis.url, nodeId, prefix })
        started.engine(process)
        return ready
      }),
    )
    const engines = { a, b, c }
    await Promise.all(
      Object.entries(WORKERS).map(([name, node]) => started.worker(spawnTs('bench/cluster/worker.ts', [engines[node].url, name])).waitForLine(/^READY/)),
    )
    const onA = registerWorker(a.url, { logger: silentLogger, workerName: 'bench-cluster-a' })
    const onB = registerWorker(b.url, { logger: silentLogger, workerName: 'bench-cluster-b' })
    clients.push(onA, onB)
    await Promise.all([onA.ready(), onB.ready()])
    const ids = Object.keys(WORKERS).flatMap((name) => ['send', 'receive', 'echo'].map((what) => `bench.${what}.${name}`))
    await Promise.all([onA, onB].map((client) => allListed(client, ids)))
    return { engines, clients: { a: onA, b: onB }, started, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
