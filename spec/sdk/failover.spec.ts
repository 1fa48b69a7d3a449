import { expect } from 'chai'
import { filter, firstValueFrom, toArray, takeWhile } from 'rxjs'
import { InvocationError, registerWorker, silentLogger, WorkerError, type ChannelReader, type EngineUrls, type WorkerClient, type WorkerOptions } from '../../lib'
import { nextEvent, recordingLogger, useEngine } from '../support/engine'
import { closedPort } from '../support/tcp'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy'
import { useWorkers } from '../support/workers'

const FAST_RETRIES = { initialDelayMs: 20, maxDelayMs: 100 }

/** Worker clients on several engine URLs, shut down after each test. */
function useFailoverWorkers(): (urls: EngineUrls, options?: WorkerOptions) => WorkerClient {
  const started: WorkerClient[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((worker) => worker.shutdown()))
  })
  return (urls, options = {}) => {
    const worker = registerWorker(urls, { logger: silentLogger, reconnect: FAST_RETRIES, ...options })
    started.push(worker)
    return worker
  }
}

/** Resolves once the worker is connected to `url`. */
function connectedTo(worker: WorkerClient, url: string): Promise<unknown> {
  return firstValueFrom(worker.engineUrl$.pipe(filter((current) => current === url)))
}

function thrownBy(start: () => unknown): unknown {
  try {
    start()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('worker client on several engine URLs', () => {
  describe('with two engines', () => {
    const loggerOfB = recordingLogger()
    const a = useEngine()
    const b = useEngine({ logger: loggerOfB })
    const failover = useFailoverWorkers()
    const worker = useWorkers()
    let proxy: TcpProxy | undefined
    afterEach(async () => {
      await proxy?.close()
      proxy = undefined
    })

    it('connects to the first URL; once that engine closes, it is on the second with its functions callable there, and sends it no reattach', async () => {
      loggerOfB.lines.splice(0)
      const callee = failover([a.url, b.url])
      callee.registerFunction('double', (input: number) => input * 2)
      await callee.ready()
      expect(callee.engineUrl).to.equal(a.url)
      const idOnA = callee.workerId
      const seen = firstValueFrom(callee.engineUrl$.pipe(takeWhile((url) => url !== b.url, true), toArray()))

      await a.engine.close()
      await connectedTo(callee, b.url)
      await callee.ready()
      expect(await seen).to.deep.equal([a.url, undefined, b.url])
      expect(callee.engineUrl).to.equal(b.url)
      expect(callee.workerId).to.be.a('string').and.not.equal(idOnA)
      const caller = await worker(b.url)
      expect(await caller.trigger({ function_id: 'double', payload: 21 })).to.equal(42)
      // A's worker id and token mean nothing to B: not sent (B would log the reattach it ignored).
      expect(loggerOfB.lines.filter((line) => line.includes('reattach'))).to.deep.equal([])
    })

    it('creates channels on the engine it failed over to, and opens refs it receives through it', async () => {
      const callee = failover([a.url, b.url])
      callee.registerFunction('read', (reader: ChannelReader) => reader.readAll().then((bytes) => bytes.toString()))
      await callee.ready()
      await a.engine.close()
      await connectedTo(callee, b.url)
      await callee.ready()

      const createdOnB = nextEvent(b.engine, 'channel_created')
      const own = await callee.createChannel()
      await createdOnB
      own.writer.stream.end(Buffer.from('made on B'))
      expect((await own.reader.readAll()).toString()).to.equal('made on B')

      const caller = await worker(b.url)
      const handed = await caller.createChannel()
      handed.writer.stream.end(Buffer.from('handed over on B'))
      expect(await caller.trigger({ function_id: 'read', payload: handed.readerRef })).to.equal('handed over on B')
    })

    it('skips a first URL where nothing listens', async () => {
      const dead = `ws://127.0.0.1:${await closedPort()}`
      const callee = failover([dead, b.url])
      callee.registerFunction('here', () => 'on B')
      await callee.ready()
      expect(callee.engineUrl).to.equal(b.url)
      const caller = await worker(b.url)
      expect(await caller.trigger({ function_id: 'here' })).to.equal('on B')
    })

    it('with reconnect.maxRetries 0, still tries every URL once: reaches the second, or gives up with engine_unreachable once both refused', async () => {
      const [deadA, deadB] = [`ws://127.0.0.1:${await closedPort()}`, `ws://127.0.0.1:${await closedPort()}`]
      const reaching = failover([deadA, b.url], { reconnect: { ...FAST_RETRIES, maxRetries: 0 } })
      await reaching.ready()
      expect(reaching.engineUrl).to.equal(b.url)

      const logger = recordingLogger()
      const refused = failover([deadA, deadB], { logger, reconnect: { ...FAST_RETRIES, maxRetries: 0 } })
      const error = await refused.ready().then(
        () => undefined,
        (failure: unknown) => failure,
      )
      expect(error).to.be.instanceOf(WorkerError).and.include({ code: 'engine_unreachable' })
      expect((error as Error).message).to.contain(deadB)
      expect(logger.lines.filter((line) => line.startsWith('warn: cannot connect')).map((line) => line.includes(deadA))).to.deep.equal([true])
    })

    it('ends engineUrl$ on shutdown, with engineUrl undefined', async () => {
      const client = failover([a.url, b.url])
      await client.ready()
      const seen = firstValueFrom(client.engineUrl$.pipe(toArray()))
      await client.shutdown()
      expect(await seen).to.deep.equal([a.url, undefined])
      expect(client.engineUrl).to.equal(undefined)
    })

    it('fails a call in flight when its connection is lost and does not send it again to the next engine', async () => {
      const slowOnA = await worker(a.url)
      let releaseOnA = () => {}
      const reachedA = new Promise<void>((reached) =>
        slowOnA.registerFunction('once', () => {
          reached()
          return new Promise<string>((release) => (releaseOnA = () => release('late')))
        }),
      )
      await slowOnA.ready()
      let invocationsOnB = 0
      const countingOnB = await worker(b.url)
      countingOnB.registerFunction('once', () => ++invocationsOnB)
      await countingOnB.ready()

      proxy = await startTcpProxy(a.url)
      const caller = failover([proxy.url, b.url])
      await caller.ready()
      const inFlight = caller.trigger({ function_id: 'once' }).catch((error: unknown) => error)
      await reachedA
      proxy.cutClientSides()
      expect(await inFlight).to.be.instanceOf(InvocationError).and.include({ code: 'connection_lost' })

      await connectedTo(caller, b.url)
      // Frames from one worker are handled in order: a resent call would have reached B first.
      expect(await caller.trigger({ function_id: 'once' })).to.equal(1)
      releaseOnA()
    })
  })

  describe('with three engines behind proxies', () => {
    const engines = [useEngine(), useEngine(), useEngine()]
    const failover = useFailoverWorkers()
    const worker = useWorkers()
    const proxies: TcpProxy[] = []
    afterEach(async () => {
      await Promise.all(proxies.splice(0).map((proxy) => proxy.close()))
    })

    it('moves on to the next URL in turn, not back to the first, though the first still answers', async () => {
      for (const { url } of engines) proxies.push(await startTcpProxy(url))
      const [toA, toB, toC] = proxies
      const callee = failover([toA.url, toB.url, toC.url])
      callee.registerFunction('where', () => 'here')
      await callee.ready()
      expect(callee.engineUrl).to.equal(toA.url)

      toA.cutClientSides()
      await connectedTo(callee, toB.url)
      toB.cutClientSides()
      await connectedTo(callee, toC.url)
      await callee.ready()
      const caller = await worker(engines[2].url)
      expect(await caller.trigger({ function_id: 'where' })).to.equal('here')
    })
  })

  describe('given a bad list', () => {
    it('refuses an empty list with invalid_option', () => {
      const error = thrownBy(() => registerWorker([] as unknown as EngineUrls, { logger: silentLogger }))
      expect(error).to.be.instanceOf(WorkerError).and.include({ code: 'invalid_option' })
      expect((error as Error).message).to.contain('non-empty list')
    })

    it('refuses an entry that is not a URL, has another scheme or is not a string, saying which', () => {
      for (const [urls, says] of [
        [['ws://127.0.0.1:1', 'not a url'], 'engine URL 1 (not a url) is not a URL'],
        [['ftp://127.0.0.1:1'], 'engine URL 0 (ftp://127.0.0.1:1) has scheme ftp:'],
        [['ws://127.0.0.1:1/?token=secret#x'], 'engine URL 0 (ws://127.0.0.1:1/?token=***#x) has a fragment'],
        [['ws://127.0.0.1:1', 7], 'engine URL 1 is not a string (number)'],
      ] as const) {
        const error = thrownBy(() => registerWorker(urls as unknown as EngineUrls, { logger: silentLogger }))
        expect(error, says).to.be.instanceOf(WorkerError).and.include({ code: 'invalid_option' })
        expect((error as Error).message).to.contain(says)
      }
    })
  })
})
