import { silentLogger, type EngineOptions } from '../../lib'
import type { ChannelHomes } from '../../lib/engine/channel-homes'
import { startEngineWith, type Engine } from '../../lib/engine/engine'
import { localRouting } from '../../lib/engine/engine-routing'

/** Real engines that know each other's channel endpoints from a fixed table, in place of a membership service. */
export interface StaticCluster {
  readonly engines: Record<string, Engine>
  /** Channel endpoints by node id: delete one to make its node "leave" the cluster; set one for a node run elsewhere. */
  readonly members: Map<string, string>
}

/** Starts an in-process engine per node id for each test of the enclosing suite, all sharing one member table. */
export function useStaticCluster(nodeIds: readonly string[], options: (nodeId: string) => EngineOptions = () => ({})): StaticCluster {
  const cluster = { engines: {} as Record<string, Engine>, members: new Map<string, string>() }
  beforeEach(async () => {
    cluster.members.clear()
    for (const nodeId of nodeIds) {
      const homes: ChannelHomes = { selfId: nodeId, urlOf: (id) => cluster.members.get(id) }
      const engine = await startEngineWith({ port: 0, logger: silentLogger, ...options(nodeId) }, (context) => ({ ...localRouting(context), channelHomes: homes }))
      cluster.engines[nodeId] = engine
      cluster.members.set(nodeId, engine.url)
    }
  })
  afterEach(async () => {
    await Promise.all(Object.values(cluster.engines).map((engine) => engine.close()))
    cluster.engines = {}
  })
  return cluster
}
