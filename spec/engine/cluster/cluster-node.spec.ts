import { expect } from 'chai'
import { silentLogger, startEngine, type Engine, type EngineOptions } from '../../../lib'
import { clusterRouting } from '../../../lib/engine/cluster/cluster-routing'
import { startEngineWith } from '../../../lib/engine/engine'
import type { EngineRouting } from '../../../lib/engine/engine-routing'
import { clusterPrefix, until } from '../../support/cluster'
import { nextEvent, rawWorker, registered, sendJson, type RawWorker } from '../../support/engine'
import { freePort, requireRedisServer, startRedis, type TestRedis } from '../../support/redis'
import { useWorkers } from '../../support/workers'

const KiB = 1024

// Two engines in this process, each a node of one cluster on a Redis of the spec's own.
describe('a cluster node', function () {
  this.timeout(30_000)
  const worker = useWorkers()
  const engines: Engine[] = []
  const sockets: RawWorker[] = []
  let redis: TestRedis | undefined

  before(async function () {
    requireRedisServer(this)
    redis = await startRedis()
  })
  after(() => redis?.stop())
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.ws.terminate()
    await Promise.all(engines.splice(0).map((engine) => engine.close()))
  })

  const startNodes = async (options: EngineOptions = {}): Promise<[Engine, Engine]> => {
    const prefix = clusterPrefix()
    const started = await Promise.all(
      ['one', 'two'].map((nodeId) =>
        startEngine({ port: 0, logger: silentLogger, ...options, cluster: { redis: (redis as TestRedis).url, nodeId, keyPrefix: prefix, nodeTtlMs: 1000 } }),
      ),
    )
    engines.push(...started)
    return started as [Engine, Engine]
  }
  const raw = async (url: string) => {
    const socket = await rawWorker(url)
    sockets.push(socket)
    return socket
  }
  /** Waits until `url`'s node routes `functionId` elsewhere: an invocation of it is no longer `function_not_found` at once. */
  const visibleFrom = async (url: string, functionId: string) => {
    const probe = await worker(url)
    await until(`${functionId} seen from ${url}`, async () => {
      const { functions } = (await probe.trigger({ function_id: 'engine::functions::list' })) as { functions: Array<{ function_id: string }> }
      return functions.some((entry) => entry.function_id === functionId) ? true : undefined
    })
  }

  it('counts the invocations a worker waits on across nodes against its limit, at its own node', async () => {
    const [one, two] = await startNodes({ maxPendingInvocationsPerWorker: 2 })
    const callee = await raw(two.url)
    await registered(callee, 'far.hang')
    await visibleFrom(one.url, 'far.hang')
    const caller = await raw(one.url)
    for (const id of ['i1', 'i2', 'i3']) sendJson(caller.ws, { type: 'invokefunction', invocation_id: id, function_id: 'far.hang', data: null })
    const refused = await caller.next('invocationresult')
    expect(refused).to.deep.include({ invocation_id: 'i3' })
    expect(refused.error).to.deep.include({ code: 'too_many_pending_invocations' })
    await callee.next('invokefunction')
    await callee.next('invokefunction')
    expect(one.stats().pendingInvocations).to.equal(2)
  })

  it('answers an invocation of a backed-up worker on another node with worker_backed_up, from the callee node', async () => {
    const [one, two] = await startNodes({ maxQueuedBytesPerWorker: 256 * KiB, workerDrainGraceMs: 20_000 })
    const callee = await raw(two.url)
    await registered(callee, 'far.sink')
    callee.ws.pause()
    await visibleFrom(one.url, 'far.sink')
    const producer = await raw(one.url)
    const backedUp = nextEvent(two, 'worker_backed_up')
    let reported = false
    void backedUp.then(() => (reported = true))
    const frame = JSON.stringify({ type: 'invokefunction', function_id: 'far.sink', data: 'x'.repeat(64 * KiB), action: { type: 'void' } })
    while (!reported) {
      await new Promise<void>((resolve, reject) => {
        for (let index = 0; index < 7; index++) producer.ws.send(frame)
        producer.ws.send(frame, (error) => (error ? reject(error) : resolve()))
      })
      await Promise.race([backedUp, new Promise((resolve) => setImmediate(resolve))])
    }
    sendJson(producer.ws, { type: 'invokefunction', invocation_id: 'late', function_id: 'far.sink', data: null })
    const refused = await producer.next('invocationresult')
    expect(refused).to.deep.include({ invocation_id: 'late', function_id: 'far.sink' })
    expect(refused.error).to.deep.include({ code: 'worker_backed_up' })
    expect(two.stats().shedInvocations).to.be.at.least(1)
  })

  it('names the other live nodes and where they serve, for channel placement, and forgets a node that left', async () => {
    const prefix = clusterPrefix()
    let routing: EngineRouting | undefined
    const cluster = { redis: (redis as TestRedis).url, keyPrefix: prefix, nodeTtlMs: 1000 }
    const watched = await startEngineWith({ port: 0, logger: silentLogger }, async (context) => {
      routing = await clusterRouting({ ...cluster, nodeId: 'watcher' }, '127.0.0.1')(context)
      return routing
    })
    engines.push(watched)
    const other = await startEngine({ port: 0, logger: silentLogger, cluster: { ...cluster, nodeId: 'other' } })
    const homes = routing?.channelHomes
    expect(homes?.selfId).to.equal('watcher')
    expect(homes?.urlOf('watcher')).to.equal(watched.url)
    await until('node other known', () => (homes?.urlOf('other') === other.url ? true : undefined))
    await other.close()
    await until('node other forgotten', () => (homes?.urlOf('other') === undefined ? true : undefined))
  })

  it('refuses to start when Redis cannot be reached, with a coded error that hides the password', async () => {
    const port = await freePort()
    const attempt = startEngine({ port: 0, logger: silentLogger, cluster: { redis: `redis://:hunter2-secret@127.0.0.1:${port}` } })
    const error = (await attempt.then(
      () => undefined,
      (failure: unknown) => failure,
    )) as { code: string; message: string }
    expect(error).to.include({ code: 'cluster_unavailable' })
    expect(error.message).to.include(`redis://:***@127.0.0.1:${port}`)
    expect(error.message).not.to.include('hunter2')
  })

  it('refuses a node id outside [A-Za-z0-9_-]{1,64} and a wildcard host without an advertised address', async () => {
    const url = (redis as TestRedis).url
    for (const options of [
      { port: 0, cluster: { redis: url, nodeId: 'no spaces' } },
      { port: 0, cluster: { redis: url, nodeId: 'x'.repeat(65) } },
      { port: 0, host: '0.0.0.0', cluster: { redis: url } },
    ]) {
      const error = (await startEngine({ logger: silentLogger, ...options }).then(
        (engine) => engine,
        (failure: unknown) => failure,
      )) as { code?: string; message: string } | Engine
      if ('close' in error) engines.push(error)
      expect(error).to.have.property('code', 'invalid_option')
    }
  })
})
