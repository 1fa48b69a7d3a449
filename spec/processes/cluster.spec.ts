import { expect } from 'chai'
import type { WorkerClient } from '../../lib'
import { spawnTs, type TsProcess } from '../../demos/support/processes'
import { clusterPrefix } from '../../demos/support/cluster-engine'
import { startClusterEngine, until, useRedisCluster, type ClusterEngine } from '../support/cluster'
import { rawWorker, sendJson, type RawWorker } from '../support/engine'
import { requireRedisServer, startRedis, type TestRedis } from '../support/redis'
import { useWorkers } from '../support/workers'

interface Listed {
  readonly function_id?: string
  readonly worker_id: string
  readonly node_id?: string
  readonly functions?: string[]
}

async function functionsSeenBy(worker: WorkerClient): Promise<Listed[]> {
  return ((await worker.trigger({ function_id: 'engine::functions::list', payload: {} })) as { functions: Listed[] }).functions
}

/** Resolves once `worker`'s node lists `functionId` as held on `nodeId` (or, with `undefined`, no longer lists it). */
function listedOn(worker: WorkerClient, functionId: string, nodeId: string | undefined, timeoutMs = 10_000): Promise<true> {
  return until(
    `${functionId} listed on ${nodeId ?? 'no node'}`,
    async () => ((await functionsSeenBy(worker)).find((entry) => entry.function_id === functionId)?.node_id === nodeId ? true : undefined),
    timeoutMs,
  )
}

/** The code a trigger rejected with, or `resolved`. */
async function outcomeOf(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt
    return 'resolved'
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  }
}

describe('engines in a cluster on one Redis (Redis and each engine their own process)', function () {
  this.timeout(60_000)
  const worker = useWorkers()
  const { startNodes, track, stopAll } = useRedisCluster()

  describe('three live nodes', () => {
    let a: ClusterEngine
    let b: ClusterEngine
    let c: ClusterEngine
    before(async () => {
      ;[a, b, c] = await startNodes(['node-a', 'node-b', 'node-c'])
    })
    after(stopAll)

    it('invokes functions across nodes both ways, awaited and fire-and-forget', async () => {
      const onA = await worker(a.url)
      const onB = await worker(b.url)
      let noted: (note: unknown) => void = () => undefined
      const note = new Promise((resolve) => (noted = resolve))
      onA.registerFunction('cross.double', (input: number) => input * 2)
      onB.registerFunction('cross.echo', (input: unknown) => ({ echoed: input }))
      onB.registerFunction('cross.note', (input: unknown) => {
        noted(input)
        return null
      })
      await Promise.all([onA.ready(), onB.ready()])
      await Promise.all([listedOn(onA, 'cross.echo', 'node-b'), listedOn(onA, 'cross.note', 'node-b'), listedOn(onB, 'cross.double', 'node-a')])

      expect(await onA.trigger({ function_id: 'cross.echo', payload: { n: 1 } })).to.deep.equal({ echoed: { n: 1 } })
      expect(await onB.trigger({ function_id: 'cross.double', payload: 21 })).to.equal(42)
      const many = await Promise.all(Array.from({ length: 50 }, (_, n) => onA.trigger({ function_id: 'cross.echo', payload: n })))
      expect(many).to.deep.equal(Array.from({ length: 50 }, (_, n) => ({ echoed: n })))
      await onA.trigger({ function_id: 'cross.note', payload: 'sent and forgotten', action: { type: 'void' } })
      expect(await note).to.equal('sent and forgotten')
    })

    it('lists the functions and workers of the whole cluster on every node, each with its node', async () => {
      const onA = await worker(a.url)
      const onC = await worker(c.url)
      onA.registerFunction('listed.onA', () => null)
      onC.registerFunction('listed.onC', () => null)
      await Promise.all([onA.ready(), onC.ready()])
      await Promise.all([listedOn(onA, 'listed.onC', 'node-c'), listedOn(onC, 'listed.onA', 'node-a')])
      const observer = await worker(b.url)
      await Promise.all([listedOn(observer, 'listed.onA', 'node-a'), listedOn(observer, 'listed.onC', 'node-c')])
      const { workers } = (await observer.trigger({ function_id: 'engine::workers::list', payload: {} })) as { workers: Listed[] }
      const byNode = (nodeId: string) => workers.filter((entry) => entry.node_id === nodeId).flatMap((entry) => entry.functions)
      expect(byNode('node-a')).to.include('listed.onA')
      expect(byNode('node-c')).to.include('listed.onC')
      expect(workers.map((entry) => entry.node_id)).to.include.members(['node-a', 'node-b', 'node-c'])
    })

    it('refuses a function on a second node while a worker on another holds it, and lets exactly one of two racing nodes have it', async () => {
      const holder = await worker(b.url)
      holder.registerFunction('owned.once', () => 'from b')
      await holder.ready()
      const observer = await worker(c.url)
      await listedOn(observer, 'owned.once', 'node-b')
      const late: RawWorker = await rawWorker(c.url)
      sendJson(late.ws, { type: 'registerfunction', id: 'owned.once' })
      const refused = await late.next('registrationrejected')
      expect(refused).to.deep.include({ code: 'function_already_registered', function_id: 'owned.once', owner_worker_id: holder.workerId })
      expect(await observer.trigger({ function_id: 'owned.once' })).to.equal('from b')

      // Both accept locally at once; Redis gives the id to one, and the other's worker is told, late.
      const onA = await rawWorker(a.url)
      const onC = await rawWorker(c.url)
      sendJson(onA.ws, { type: 'registerfunction', id: 'raced.once' })
      sendJson(onC.ws, { type: 'registerfunction', id: 'raced.once' })
      const winner = await until('a winner listed on node-b', async () => (await functionsSeenBy(holder)).find((entry) => entry.function_id === 'raced.once')?.node_id)
      const loser = winner === 'node-a' ? onC : onA
      expect(await loser.next('registrationrejected')).to.deep.include({ code: 'function_already_registered', function_id: 'raced.once' })
      for (const seen of [holder, observer]) await listedOn(seen, 'raced.once', winner)
      onA.ws.close()
      onC.ws.close()
      late.ws.close()
    })

    it('carries the invocations of an official iii-sdk worker across nodes', async () => {
      const peer = spawnTs('spec/fixtures/iii-peer.ts', [c.url, 'official'])
      track(peer)
      await peer.waitForLine(/^READY/)
      const onA = await worker(a.url)
      onA.registerFunction('ours.shout', (input: string) => input.toUpperCase())
      await onA.ready()
      await listedOn(onA, 'official.call', 'node-c')
      await listedOn(await worker(c.url), 'ours.shout', 'node-a')
      // Ours on A calls the official worker on C, which calls ours on A: two hops, each across nodes.
      expect(await onA.trigger({ function_id: 'official.echo', payload: 'hi' })).to.deep.equal({ from: 'official', input: 'hi' })
      expect(await onA.trigger({ function_id: 'official.call', payload: { function_id: 'ours.shout', payload: 'hello' } })).to.deep.equal({ ok: true, result: 'HELLO' })
    })
  })

  describe('a node killed', () => {
    afterEach(stopAll)

    it('fails invocations waiting on it with invocation_stopped once its membership expires, drops its functions, and lets its worker move to another node', async () => {
      const [a, b, c] = await startNodes(['kill-a', 'kill-b', 'kill-c'])
      const doomed = await worker(b.url)
      let started = 0
      doomed.registerFunction('doomed.hang', () => {
        started++
        return new Promise(() => undefined)
      })
      doomed.registerFunction('moving.fn', () => 'from b')
      await doomed.ready()
      const caller = await worker(a.url)
      await listedOn(caller, 'doomed.hang', 'kill-b')
      const waiting = Array.from({ length: 3 }, () => outcomeOf(caller.trigger({ function_id: 'doomed.hang', timeoutMs: 30_000 })))
      await until('three invocations started on node b', () => (started === 3 ? true : undefined))

      b.process.kill('SIGKILL')
      expect(await Promise.all(waiting)).to.deep.equal(['invocation_stopped', 'invocation_stopped', 'invocation_stopped'])
      await listedOn(caller, 'doomed.hang', undefined)
      await listedOn(caller, 'moving.fn', undefined)

      // The worker of the dead node reconnects to another node and takes its ids there.
      await doomed.shutdown()
      const moved = await worker(c.url)
      moved.registerFunction('moving.fn', () => 'from c')
      await moved.ready()
      await listedOn(caller, 'moving.fn', 'kill-c')
      expect(await caller.trigger({ function_id: 'moving.fn' })).to.equal('from c')
    })
  })
})

describe('engines in a cluster when Redis is killed and restarted under load (Redis and each engine their own process)', function () {
  this.timeout(60_000)
  const PASSWORD = 'pw-5f1c9a7e3b2d4c6a'
  const worker = useWorkers()
  const processes: TsProcess[] = []
  let redis: TestRedis | undefined

  before(async function () {
    requireRedisServer(this)
    redis = await startRedis({ password: PASSWORD })
  })
  after(async () => {
    for (const child of processes.splice(0).reverse()) await child.stop()
    await redis?.stop()
  })

  it('keeps local invocations working, fails cross-node ones with cluster_unavailable, resumes when Redis is back, and never logs the password', async () => {
    const server = redis as TestRedis
    const prefix = clusterPrefix('spec')
    const [a, b] = await Promise.all(['redis-a', 'redis-b'].map((nodeId) => startClusterEngine({ redis: server.url, nodeId, prefix, logLevel: 'debug' })))
    processes.push(a.process, b.process)
    const onA = await worker(a.url)
    const onB = await worker(b.url)
    onA.registerFunction('here.ping', () => 'pong from a')
    onB.registerFunction('there.ping', () => 'pong from b')
    await Promise.all([onA.ready(), onB.ready()])
    await listedOn(onA, 'there.ping', 'redis-b')

    // Load: both kinds of call, back to back, for as long as the case runs.
    const outcomes = { here: new Set<string>(), there: new Set<string>() }
    let loading = true
    const load = (async () => {
      while (loading) {
        const [here, there] = await Promise.all([outcomeOf(onA.trigger({ function_id: 'here.ping' })), outcomeOf(onA.trigger({ function_id: 'there.ping' }))])
        outcomes.here.add(here)
        outcomes.there.add(there)
      }
    })()

    // The load stops however the case ends: left running after a failure it would spin on failed calls and hold the suite.
    try {
      await server.kill()
      await until('a cross-node call failing with cluster_unavailable', async () => ((await outcomeOf(onA.trigger({ function_id: 'there.ping' }))) === 'cluster_unavailable' ? true : undefined))
      expect(await onA.trigger({ function_id: 'here.ping' })).to.equal('pong from a')

      await server.restart()
      await until('a cross-node call answered again', async () => ((await outcomeOf(onA.trigger({ function_id: 'there.ping' }))) === 'resolved' ? true : undefined), 20_000)
      expect(await onB.trigger({ function_id: 'here.ping' })).to.equal('pong from a')
    } finally {
      loading = false
      await load
    }
    expect([...outcomes.here]).to.deep.equal(['resolved'])
    expect([...outcomes.there]).to.include('cluster_unavailable')

    for (const engine of [a, b]) {
      const output = engine.process.stdout() + engine.process.stderr()
      expect(output).to.include('redis://:***@127.0.0.1')
      expect(output).not.to.include(PASSWORD)
    }
  })
})
