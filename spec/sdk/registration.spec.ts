import { expect } from 'chai'
import { InvocationError, RegistrationError, type WorkerClient } from '../../lib'
import { nextEvent, rawWorker, recordingLogger, sendJson, useEngine } from '../support/engine'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy'
import { useWorkers } from '../support/workers'

const rejection = <T>(promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: T) => error,
  )

describe('worker client registrations', () => {
  describe('on an engine with default limits', () => {
    const context = useEngine()
    const worker = useWorkers()

    it('keeps ready() of other workers working while a worker holds 7 registrations with 15 MB descriptions', async () => {
      const hostile = await rawWorker(context.url)
      for (let index = 0; index < 7; index++) sendJson(hostile.ws, { type: 'registerfunction', id: `huge.${index}`, description: 'd'.repeat(15 * 1000 * 1000) })
      // A round trip with a small answer on any engine: the registrations have been handled after it.
      sendJson(hostile.ws, { type: 'invokefunction', invocation_id: 'sync', function_id: 'engine::no-such-function' })
      await hostile.next('invocationresult')

      const other = await worker(context.url)
      other.registerFunction('small', () => 'fine')
      await other.ready()
      const { functions } = await other.trigger<{ functions: Array<{ function_id: string }> }>({ function_id: 'engine::functions::list' })
      expect(functions.map((entry) => entry.function_id)).to.deep.equal(['small'])
      for (let index = 0; index < 7; index++) expect(await hostile.next('registrationrejected')).to.include({ code: 'registration_too_large' })
    })

    it('logs a refused registration at error, keeps the function and rejects ready() with a RegistrationError', async () => {
      const logger = recordingLogger()
      const client = await worker(context.url, { logger })
      const ref = client.registerFunction({ id: 'wordy', description: 'd'.repeat(100 * 1024) }, () => 'never listed')
      const refused = await rejection<RegistrationError>(client.ready())
      expect(refused).to.be.instanceOf(RegistrationError)
      expect(refused).to.include({ code: 'registration_too_large', function_id: 'wordy', retrying: false })
      expect(refused.message).to.contain('maxRegistrationBytes')
      expect(ref.refusal).to.equal(refused)
      expect(logger.lines.filter((line) => line.startsWith('error: function wordy was refused by the engine: registration_too_large: '))).to.have.length(1)
      // Kept: registering the same id again is still refused locally; unregistering clears it, and ready() resolves.
      expect(() => client.registerFunction('wordy', () => 'again')).to.throw(/already registered by this worker/)
      ref.unregister()
      await client.ready()
    })
  })

  describe('refused while the id is reserved for a dropped owner', () => {
    const context = useEngine({ functionReservationMs: 300 })
    const worker = useWorkers()

    it('logs the refusal at error, keeps the function, retries it and ready() resolves once the reservation ends', async () => {
      const dropped = await rawWorker(context.url)
      const droppedId = (await dropped.next('workerregistered')).worker_id
      sendJson(dropped.ws, { type: 'registerfunction', id: 'held' })
      sendJson(dropped.ws, { type: 'invokefunction', invocation_id: 'sync', function_id: 'engine::functions::list' })
      await dropped.next('invocationresult')
      const gone = nextEvent(context.engine, 'worker_disconnected')
      dropped.ws.terminate()
      await gone

      const logger = recordingLogger()
      const heir = await worker(context.url, { logger })
      const ref = heir.registerFunction('held', () => 'heir')
      await heir.ready()
      expect(ref.refusal).to.equal(undefined)
      const refusals = logger.lines.filter((line) => line.startsWith('error: function held was refused by the engine: function_reserved: '))
      expect(refusals.length).to.be.at.least(1)
      expect(refusals[0]).to.contain(`reserved for worker ${droppedId}`).and.to.match(/; retrying in \d+ ms$/)
      const caller = await worker(context.url)
      expect(await caller.trigger({ function_id: 'held' })).to.equal('heir')
    })
  })

  describe('reconnect through a connection that died on the worker side only', () => {
    const context = useEngine()
    const worker = useWorkers()
    let proxy: TcpProxy | undefined
    afterEach(async () => {
      await proxy?.close()
      proxy = undefined
    })

    it('gets its functions back at once: invocations reach it again after each of 3 cuts', async () => {
      proxy = await startTcpProxy(context.url)
      const logger = recordingLogger()
      const callee: WorkerClient = await worker(proxy.url, { logger })
      callee.registerFunction('survivor', (input: number) => input * 2)
      await callee.ready()
      const caller = await worker(context.url)
      expect(await caller.trigger({ function_id: 'survivor', payload: 1 })).to.equal(2)

      for (let cut = 1; cut <= 3; cut++) {
        const back = nextEvent(context.engine, 'worker_connected')
        proxy.cutClientSides()
        await back
        await callee.ready()
        const answer = await caller.trigger({ function_id: 'survivor', payload: cut }).catch((error: InvocationError) => error)
        expect(answer, `after cut ${cut}`).to.equal(cut * 2)
      }
      expect(logger.lines.filter((line) => line.includes('refused by the engine'))).to.deep.equal([])
    })
  })
})
