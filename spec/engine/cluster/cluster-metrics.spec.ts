import { expect } from 'chai'
import { silentLogger, startEngine, type Engine } from '../../../lib'
import { clusterPrefix } from '../../../demos/support/cluster-engine'
import { until } from '../../support/cluster'
import { requireRedisServer, startRedis, type TestRedis } from '../../support/redis'
import { httpGet, sample } from '../../support/scrape'
import { useWorkers } from '../../support/workers'

describe('GET /metrics on the nodes of a cluster (issue 15)', function () {
  this.timeout(30_000)
  const worker = useWorkers()
  const engines: Engine[] = []
  let redis: TestRedis | undefined

  before(async function () {
    requireRedisServer(this)
    redis = await startRedis()
  })
  after(() => redis?.stop())
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.close()))
  })

  it('counts the live nodes and the invocations that crossed nodes, on both nodes, each sample labelled with its node', async () => {
    const prefix = clusterPrefix('spec')
    const [alpha, beta] = await Promise.all(
      ['alpha', 'beta'].map((nodeId) => startEngine({ port: 0, logger: silentLogger, cluster: { redis: (redis as TestRedis).url, nodeId, keyPrefix: prefix, nodeTtlMs: 1000 } })),
    )
    engines.push(alpha, beta)
    const callee = await worker(alpha.url)
    callee.registerFunction('double', async (input: number) => input * 2)
    const caller = await worker(beta.url)
    await until('double seen from beta', async () => {
      const { functions } = (await caller.trigger({ function_id: 'engine::functions::list' })) as { functions: Array<{ function_id: string }> }
      return functions.some((entry) => entry.function_id === 'double') ? true : undefined
    })
    const CALLS = 3
    for (let index = 0; index < CALLS; index++) expect(await caller.trigger({ function_id: 'double', payload: index })).to.equal(index * 2)

    for (const [engine, node] of [
      [alpha, 'alpha'],
      [beta, 'beta'],
    ] as const) {
      // A node learns of another's join through Redis: it may not have yet.
      const text = await until(`${node} sees both nodes`, async () => {
        const scraped = (await httpGet(engine.url, '/metrics')).body
        return sample(scraped, 'rx_channels_cluster_nodes', { node }) === 2 ? scraped : undefined
      })
      expect(sample(text, 'rx_channels_cross_node_invocations_total', { node, outcome: 'ok' })).to.equal(CALLS)
      expect(sample(text, 'rx_channels_workers', { node })).to.equal(1)
    }
  })
})
