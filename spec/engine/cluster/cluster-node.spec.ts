import { expect } from 'chai'
import Redis from 'ioredis'
import { lastValueFrom, toArray } from 'rxjs'
import { openChannelEnd, RxChannelsError, silentLogger, startEngine, type ChannelReader, type Engine, type EngineOptions } from '../../../lib'
import { clusterRouting } from '../../../lib/engine/cluster/cluster-routing'
import { startEngineWith } from '../../../lib/engine/engine'
import type { EngineRouting } from '../../../lib/engine/engine-routing'
import { clusterPrefix } from '../../../demos/support/cluster-engine'
import { until } from '../../support/cluster'
import { nextEvent, rawWorker, registered, sendJson, type RawWorker } from '../../support/engine'
import { freePort } from '../../../demos/support/redis-server'
import { startOtlpReceiver } from '../../support/otlp-receiver'
import { requireRedisServer, startRedis, type TestRedis } from '../../support/redis'
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

  /** Nodes `one` and `two`, with `options`, and `two` with `twoOptions` when given. */
  const startNodes = async (options: EngineOptions = {}, twoOptions: EngineOptions = options): Promise<[Engine, Engine]> => {
    const prefix = clusterPrefix('spec')
    const started = await Promise.all(
      (
        [
          ['one', options],
          ['two', twoOptions],
        ] as const
      ).map(([nodeId, nodeOptions]) =>
        startEngine({ port: 0, logger: silentLogger, ...nodeOptions, cluster: { redis: (redis as TestRedis).url, nodeId, keyPrefix: prefix, nodeTtlMs: 1000 } }),
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

  it('with otlpEndpoint, gives a cross-node invocation a span on each node: caller -> caller node -> callee node -> handler, one trace', async () => {
    const receiver = await startOtlpReceiver()
    try {
      const [one, two] = await startNodes({ otlpEndpoint: receiver.url })
      const callee = await raw(two.url)
      await registered(callee, 'far.echo')
      await visibleFrom(one.url, 'far.echo')
      const caller = await raw(one.url)
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
      sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'i1', function_id: 'far.echo', data: 1, traceparent: `00-${traceId}-00f067aa0ba902b7-01` })
      const invocation = await callee.next('invokefunction')
      sendJson(callee.ws, { type: 'invocationresult', invocation_id: invocation.invocation_id, function_id: 'far.echo', result: 1 })
      expect(await caller.next('invocationresult')).to.deep.include({ invocation_id: 'i1', result: 1 })
      await Promise.all(engines.splice(0).map((engine) => engine.close()))
      const spans = receiver.spans().filter((span) => span.name === 'invoke far.echo')
      const atOne = spans.find((span) => span.parentSpanId === '00f067aa0ba902b7')
      const atTwo = spans.find((span) => span.parentSpanId === atOne?.spanId)
      expect(spans).to.have.length(2)
      expect([atOne?.traceId, atTwo?.traceId]).to.deep.equal([traceId, traceId])
      expect(invocation.traceparent).to.equal(`00-${traceId}-${atTwo?.spanId}-01`)
    } finally {
      await receiver.close()
    }
  })

  it('answers an invocation of a backed-up worker on another node with worker_backed_up, from the callee node', async () => {
    // Only the callee's node has the small bound: on a loaded machine the caller's node, with the
    // same bound, could shed first on what it has published and Redis not yet taken.
    const [one, two] = await startNodes({}, { maxQueuedBytesPerWorker: 256 * KiB, workerDrainGraceMs: 20_000 })
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

  it('fails the cross-node invocations in flight with cluster_unavailable when its subscription to Redis is cut, and carries new ones once it is back', async () => {
    const [one, two] = await startNodes()
    const callee = await raw(two.url)
    await registered(callee, 'far.answer')
    await visibleFrom(one.url, 'far.answer')
    const caller = await raw(one.url)
    sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'in-flight', function_id: 'far.answer', data: null })
    await callee.next('invokefunction')
    const admin = new Redis((redis as TestRedis).url)
    try {
      await admin.client('KILL', 'TYPE', 'pubsub')
    } finally {
      admin.disconnect()
    }
    const failed = await caller.next('invocationresult')
    expect(failed).to.deep.include({ invocation_id: 'in-flight' })
    expect(failed.error).to.deep.include({ code: 'cluster_unavailable' })

    let answering = true
    const answer = (async () => {
      while (answering) {
        const invoked = await callee.next('invokefunction')
        sendJson(callee.ws, { type: 'invocationresult', invocation_id: invoked.invocation_id, function_id: 'far.answer', result: 'back' })
      }
    })()
    const again = await worker(one.url)
    const answered = await until('a cross-node call answered again', () =>
      again.trigger({ function_id: 'far.answer' }).catch((error: { code: string }) => (error.code === 'cluster_unavailable' ? undefined : Promise.reject(error))),
    )
    answering = false
    sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'last', function_id: 'far.answer', data: null })
    await answer
    expect(answered).to.equal('back')
  })

  it('fails the cross-node invocations in flight with cluster_unavailable when Redis stops answering, and carries new ones once it answers again', async () => {
    const [one, two] = await startNodes()
    const callee = await raw(two.url)
    await registered(callee, 'far.frozen')
    await visibleFrom(one.url, 'far.frozen')
    const caller = await raw(one.url)
    sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'in-flight', function_id: 'far.frozen', data: null })
    const invoked = await callee.next('invokefunction')
    const server = redis as TestRedis
    server.pause()
    try {
      // The result is published into a Redis that does not answer: its caller is told within about one TTL (1 s here), not at its own timeout.
      sendJson(callee.ws, { type: 'invocationresult', invocation_id: invoked.invocation_id, function_id: 'far.frozen', result: 'lost' })
      const failed = await caller.next('invocationresult')
      expect(failed).to.deep.include({ invocation_id: 'in-flight' })
      expect(failed.error).to.deep.include({ code: 'cluster_unavailable' })
    } finally {
      server.resume()
    }
    let answering = true
    const answer = (async () => {
      while (answering) {
        const next = await callee.next('invokefunction')
        sendJson(callee.ws, { type: 'invocationresult', invocation_id: next.invocation_id, function_id: 'far.frozen', result: 'thawed' })
      }
    })()
    const again = await worker(one.url)
    const answered = await until('a cross-node call answered again', () =>
      again.trigger({ function_id: 'far.frozen', timeoutMs: 3_000 }).catch((error: { code: string }) => (['cluster_unavailable', 'function_not_found'].includes(error.code) ? undefined : Promise.reject(error))),
    )
    expect(answered).to.equal('thawed')
    answering = false
    sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'last', function_id: 'far.frozen', data: null })
    await answer
  })

  it('fails an invocation at once with cluster_unavailable when the node holding the function does not listen', async () => {
    const [one] = await startNodes()
    const prefix = clusterPrefix('spec')
    const ghost = { node: 'ghost', worker: 'ghost-worker', listed: {} }
    const admin = new Redis((redis as TestRedis).url)
    try {
      const engine = await startEngine({ port: 0, logger: silentLogger, cluster: { redis: (redis as TestRedis).url, nodeId: 'listener', keyPrefix: prefix, nodeTtlMs: 1000 } })
      engines.push(engine)
      // A claim as a node that died between two looks of the others would leave it.
      await admin.hset(`${prefix}functions`, 'ghost.fn', JSON.stringify(ghost))
      await admin.publish(`${prefix}events`, JSON.stringify({ op: 'claim', id: 'ghost.fn', entry: JSON.stringify(ghost) }))
      await visibleFrom(engine.url, 'ghost.fn')
      const caller = await worker(engine.url)
      const error = (await caller.trigger({ function_id: 'ghost.fn' }).catch((failure: unknown) => failure)) as { code: string; message: string }
      expect(error).to.include({ code: 'cluster_unavailable' })
      expect(error.message).to.include('node ghost is not listening')
      expect(one.stats().pendingInvocations).to.equal(0)
    } finally {
      admin.disconnect()
    }
  })

  it('clears what a previous run of the same node left in Redis before it joins', async () => {
    const prefix = clusterPrefix('spec')
    const stale = { node: 'again', worker: 'worker-of-a-killed-run', listed: {} }
    const admin = new Redis((redis as TestRedis).url)
    try {
      await admin.hset(`${prefix}functions`, 'stale.fn', JSON.stringify(stale))
      await admin.sadd(`${prefix}node-functions:again`, 'stale.fn')
      await admin.sadd(`${prefix}nodes`, 'again')
      await admin.set(`${prefix}node:again`, 'ws://127.0.0.1:1', 'PX', 60_000)
    } finally {
      admin.disconnect()
    }
    const cluster = { redis: (redis as TestRedis).url, keyPrefix: prefix, nodeTtlMs: 1000 }
    engines.push(await startEngine({ port: 0, logger: silentLogger, cluster: { ...cluster, nodeId: 'again' } }))
    const other = await startEngine({ port: 0, logger: silentLogger, cluster: { ...cluster, nodeId: 'other' } })
    engines.push(other)
    const taker = await worker(other.url)
    taker.registerFunction('stale.fn', () => 'taken')
    await taker.ready()
    expect(await taker.trigger({ function_id: 'stale.fn' })).to.equal('taken')
    const { functions } = (await taker.trigger({ function_id: 'engine::functions::list' })) as { functions: Array<{ function_id: string; node_id: string }> }
    expect(functions.filter((entry) => entry.function_id === 'stale.fn')).to.deep.equal([{ function_id: 'stale.fn', worker_id: taker.workerId, node_id: 'other' }])
  })

  it('refuses to start under the id of a live node (invalid_option naming its address), and leaves that node in the cluster', async () => {
    const prefix = clusterPrefix('spec')
    const cluster = { redis: (redis as TestRedis).url, keyPrefix: prefix, nodeTtlMs: 1000 }
    const live = await startEngine({ port: 0, logger: silentLogger, cluster: { ...cluster, nodeId: 'taken' } })
    engines.push(live)
    const holder = await worker(live.url)
    holder.registerFunction('held.fn', () => 'from the live node')
    await holder.ready()
    const { writer, readerRef } = await holder.createChannel()

    let twin: Engine | undefined
    const refusal = await startEngine({ port: 0, logger: silentLogger, cluster: { ...cluster, nodeId: 'taken' } }).then(
      (started) => {
        twin = started
        engines.push(started)
        return undefined
      },
      (error: RxChannelsError) => error,
    )
    expect(twin?.url, 'a second engine under a live id').to.equal(undefined)
    expect(refusal).to.be.instanceOf(RxChannelsError)
    expect(refusal).to.include({ code: 'invalid_option' })
    expect(refusal?.message).to.include(`node id taken is in use by a live node at ${live.url}`)

    const other = await startEngine({ port: 0, logger: silentLogger, cluster: { ...cluster, nodeId: 'other' } })
    engines.push(other)
    await visibleFrom(other.url, 'held.fn')
    expect(await (await worker(other.url)).trigger({ function_id: 'held.fn' })).to.equal('from the live node')
    const reader = openChannelEnd(readerRef, { engineUrl: other.url }) as ChannelReader
    writer.stream.end(Buffer.from('still reachable'))
    expect(Buffer.concat(await lastValueFrom(reader.chunks$.pipe(toArray()))).toString()).to.equal('still reachable')
  })

  it('names the other live nodes and where they serve, for channel placement, and forgets a node that left', async () => {
    const prefix = clusterPrefix('spec')
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
})

// Checked before any connection to Redis, so these need no redis-server.
describe('a cluster node that cannot start', () => {
  const engines: Engine[] = []
  afterEach(() => Promise.all(engines.splice(0).map((engine) => engine.close())))

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
    const url = 'redis://127.0.0.1:1'
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
