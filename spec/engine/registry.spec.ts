import { expect } from 'chai'
import { MAX_PAGE_BYTES } from '../../lib/engine/list-page'
import { nextEvent, openRaw, sendJson, useEngine, type RawSocket } from '../support/engine'

type Message = Record<string, unknown>

/** A raw worker socket with the engine's answers decoded, in arrival order, and their sizes. */
interface Peer {
  readonly raw: RawSocket
  readonly workerId: string
  readonly token: string
  /**
   * Sends `frames`, then a round trip: resolves with what the engine sent on this socket since
   * the previous exchange, up to the round trip's answer (frames on one socket are handled in
   * order), leaving out the answers to `call`.
   */
  exchange(...frames: Message[]): Promise<Message[]>
  /** Invokes an engine function and resolves with its answer and the answer's size in bytes. */
  call(functionId: string, data?: unknown): Promise<{ answer: Message; bytes: number }>
}

async function peer(url: string): Promise<Peer> {
  const raw = await openRaw(url)
  const waitFor = (predicate: (message: Message) => boolean, from: number) =>
    new Promise<{ index: number; message: Message }>((resolve) => {
      const scan = () => {
        for (let index = from; index < raw.frames.length; index++) {
          const message = JSON.parse(raw.frames[index].data.toString()) as Message
          if (predicate(message)) {
            raw.ws.off('message', scan)
            resolve({ index, message })
            return
          }
        }
      }
      raw.ws.on('message', scan)
      scan()
    })
  const hello = (await waitFor((message) => message.type === 'workerregistered', 0)).message
  let calls = 0
  let exchanged = raw.frames.length
  const call = async (functionId: string, data?: unknown) => {
    const invocationId = `call-${++calls}`
    const from = raw.frames.length
    sendJson(raw.ws, { type: 'invokefunction', invocation_id: invocationId, function_id: functionId, data })
    const { index, message } = await waitFor((candidate) => candidate.type === 'invocationresult' && candidate.invocation_id === invocationId, from)
    return { answer: message, bytes: raw.frames[index].data.length, index }
  }
  return {
    raw,
    workerId: hello.worker_id as string,
    token: hello.reattach_token as string,
    exchange: async (...frames) => {
      for (const frame of frames) sendJson(raw.ws, frame)
      const { index } = await call('engine::functions::list', { limit: 1 })
      const from = exchanged
      exchanged = index + 1
      return raw.frames
        .slice(from, index)
        .map((frame) => JSON.parse(frame.data.toString()) as Message)
        .filter((message) => message.type !== 'workerregistered' && !String(message.invocation_id).startsWith('call-'))
    },
    call,
  }
}

const register = (id: string, details: Message = {}) => ({ type: 'registerfunction', id, ...details })

/** Every page of a listing, following `next_cursor`. */
async function allPages(caller: Peer, functionId: string, input: Message = {}): Promise<Array<{ answer: Message; bytes: number }>> {
  const pages = []
  let cursor: unknown
  do {
    const page = await caller.call(functionId, cursor === undefined ? input : { ...input, cursor })
    expect(page.answer.error, JSON.stringify(page.answer.error)).to.equal(undefined)
    pages.push(page)
    cursor = (page.answer.result as Message).next_cursor
  } while (cursor !== undefined)
  return pages
}

describe('engine function registry', () => {
  describe('registration limits, each refused with its own code', () => {
    const context = useEngine({ maxFunctionsPerWorker: 2, maxFunctionIdBytes: 8, maxRegistrationBytes: 100, maxRegistrationBytesPerWorker: 150 })

    it('refuses an id over maxFunctionIdBytes (UTF-8 bytes) with function_id_too_long', async () => {
      const worker = await peer(context.url)
      const answers = await worker.exchange(register('12345678'), register('1234567é'), register('é'.repeat(4)))
      expect(answers).to.have.length(1)
      expect(answers[0]).to.deep.include({ type: 'registrationrejected', code: 'function_id_too_long', function_id: '1234567é' })
      expect(answers[0]).not.to.have.property('owner_worker_id')
      expect(answers[0].message).to.contain('9 bytes').and.contain('maxFunctionIdBytes')
      expect(context.engine.stats().functions).to.equal(2)
    })

    it('refuses a registration over maxRegistrationBytes with registration_too_large, whatever field makes it large', async () => {
      const worker = await peer(context.url)
      const answers = await worker.exchange(
        register('desc', { description: 'd'.repeat(101) }),
        register('meta', { metadata: { tags: ['t'.repeat(100)] } }),
        register('format', { request_format: { type: 'string', pattern: 'p'.repeat(100) } }),
        register('fits', { description: 'small' }),
      )
      expect(answers.map((answer) => [answer.function_id, answer.code])).to.deep.equal([
        ['desc', 'registration_too_large'],
        ['meta', 'registration_too_large'],
        ['format', 'registration_too_large'],
      ])
      expect(answers[0].message).to.contain('maxRegistrationBytes')
      expect(context.engine.stats().functions).to.equal(1)
    })

    it('refuses functions past maxFunctionsPerWorker with too_many_functions, but not a re-registration of its own', async () => {
      const worker = await peer(context.url)
      const answers = await worker.exchange(register('a'), register('b'), register('c'), register('a', { description: 'again' }))
      expect(answers).to.have.length(1)
      expect(answers[0]).to.deep.include({ code: 'too_many_functions', function_id: 'c' })
      expect(answers[0].message).to.contain('maxFunctionsPerWorker')
      // Another worker has its own allowance; unregistering frees one.
      const other = await peer(context.url)
      expect(await other.exchange(register('c'))).to.deep.equal([])
      expect(await worker.exchange({ type: 'unregisterfunction', id: 'b' }, register('d'))).to.deep.equal([])
    })

    it("refuses a registration that would take a worker's registrations over maxRegistrationBytesPerWorker", async () => {
      const worker = await peer(context.url)
      const seventy = { description: 'x'.repeat(70) }
      const answers = await worker.exchange(register('p1', seventy), register('p2', seventy))
      expect(answers.map((answer) => [answer.function_id, answer.code])).to.deep.equal([['p2', 'worker_registrations_too_large']])
      expect(answers[0].message).to.contain('maxRegistrationBytesPerWorker')
      // A re-registration replaces the old size; an unregistration frees it.
      expect(await worker.exchange(register('p1', { description: 'short' }), register('p2', seventy))).to.deep.equal([])
      expect(await worker.exchange({ type: 'unregisterfunction', id: 'p1' }, register('p1', { description: 'y'.repeat(70) }))).to.have.length(1)
      expect(await worker.exchange({ type: 'unregisterfunction', id: 'p2' }, register('p1', { description: 'y'.repeat(70) }))).to.deep.equal([])
    })

    it('refuses worker metadata over maxRegistrationBytes with registration_too_large', async () => {
      const worker = await peer(context.url)
      const { answer } = await worker.call('engine::workers::register', { name: 'n'.repeat(200) })
      expect(answer.error).to.include({ code: 'registration_too_large' })
      expect((await worker.call('engine::workers::register', { name: 'small' })).answer.error).to.equal(undefined)
    })
  })

  describe('ids of an owner that dropped without a clean close', () => {
    const context = useEngine()

    async function droppedOwner(): Promise<Peer> {
      const owner = await peer(context.url)
      expect(await owner.exchange(register('owned.fn'))).to.deep.equal([])
      const gone = nextEvent(context.engine, 'worker_disconnected', (event) => event.worker_id === owner.workerId)
      owner.raw.ws.terminate()
      await gone
      return owner
    }

    it('are refused to other workers with function_reserved, and given back to the owner reattaching with its token', async () => {
      const owner = await droppedOwner()
      const other = await peer(context.url)
      const [refused] = await other.exchange(register('owned.fn'))
      expect(refused).to.deep.include({ code: 'function_reserved', function_id: 'owned.fn', owner_worker_id: owner.workerId })
      expect(refused.message).to.contain('functionReservationMs')

      // A wrong token gets nothing.
      const impostor = await peer(context.url)
      const [stillReserved] = await impostor.exchange({ type: 'reattach', previous_worker_id: owner.workerId, reattach_token: 'guess' }, register('owned.fn'))
      expect(stillReserved).to.deep.include({ code: 'function_reserved' })

      const back = await peer(context.url)
      expect(await back.exchange({ type: 'reattach', previous_worker_id: owner.workerId, reattach_token: owner.token }, register('owned.fn'))).to.deep.equal([])
      sendJson(other.raw.ws, { type: 'invokefunction', invocation_id: 'to-owner', function_id: 'owned.fn', data: 7 })
      await other.exchange()
      const forwarded = await back.exchange()
      expect(forwarded).to.have.length(1)
      expect(forwarded[0]).to.deep.include({ type: 'invokefunction', invocation_id: 'to-owner', data: 7 })
    })

    it('are given back on reattach even before the owner registers them again', async () => {
      const owner = await droppedOwner()
      const back = await peer(context.url)
      expect(await back.exchange({ type: 'reattach', previous_worker_id: owner.workerId, reattach_token: owner.token })).to.deep.equal([])
      const caller = await peer(context.url)
      sendJson(caller.raw.ws, { type: 'invokefunction', invocation_id: 'early', function_id: 'owned.fn', data: 1 })
      await caller.exchange()
      expect((await back.exchange())[0]).to.deep.include({ type: 'invokefunction', invocation_id: 'early' })
    })

    it('are free at once after a clean close', async () => {
      const owner = await peer(context.url)
      expect(await owner.exchange(register('owned.fn'))).to.deep.equal([])
      const gone = nextEvent(context.engine, 'worker_disconnected')
      owner.raw.ws.close(1000)
      await gone
      const other = await peer(context.url)
      expect(await other.exchange(register('owned.fn'))).to.deep.equal([])
    })
  })

  describe('a reattach to a connection the engine still holds', () => {
    const context = useEngine()

    it('moves its functions to the new connection before the replayed registrations are handled', async () => {
      const first = await peer(context.url)
      expect(await first.exchange(register('moving'))).to.deep.equal([])
      const second = await peer(context.url)
      const answers = await second.exchange({ type: 'reattach', previous_worker_id: first.workerId, reattach_token: first.token }, register('moving'))
      expect(answers).to.deep.equal([])
      expect(await first.raw.closed).to.include({ code: 1006 })
      const caller = await peer(context.url)
      sendJson(caller.raw.ws, { type: 'invokefunction', invocation_id: 'moved', function_id: 'moving', data: {} })
      await caller.exchange()
      expect((await second.exchange())[0]).to.deep.include({ type: 'invokefunction', invocation_id: 'moved' })
    })
  })

  describe('engine::functions::list', () => {
    const context = useEngine()

    it('redacts the header values of HTTP invocations, keeping their names', async () => {
      const worker = await peer(context.url)
      const invocation = { url: 'https://example.test/fn', method: 'POST', headers: { authorization: 'Bearer s3cret-value', 'x-api-key': 'k3y-value' } }
      expect(await worker.exchange(register('http.fn', { invocation }))).to.deep.equal([])
      const { answer } = await worker.call('engine::functions::list')
      const listed = (answer.result as { functions: Message[] }).functions.find((entry) => entry.function_id === 'http.fn')
      expect(listed?.invocation).to.deep.equal({ url: 'https://example.test/fn', method: 'POST', headers: { authorization: '[redacted]', 'x-api-key': '[redacted]' } })
      expect(JSON.stringify(answer)).not.to.contain('s3cret').and.not.to.contain('k3y-value')
    })

    it('neither stores nor lists the fields of a registration the protocol does not define, so other workers never see them', async () => {
      const worker = await peer(context.url)
      expect(await worker.exchange(register('odd.fn', { description: 'kept', smuggled: { note: 'not for other workers' } }))).to.deep.equal([])
      const other = await peer(context.url)
      const { answer } = await other.call('engine::functions::list')
      const listed = (answer.result as { functions: Message[] }).functions.find((entry) => entry.function_id === 'odd.fn')
      expect(listed).to.deep.equal({ function_id: 'odd.fn', worker_id: worker.workerId, description: 'kept' })
    })

    it('answers a registry of 20,000 functions in pages that fit, each function once, in registration order', async function () {
      this.timeout(120_000)
      const owners = await Promise.all(Array.from({ length: 20 }, () => peer(context.url)))
      await Promise.all(
        owners.map((owner, w) =>
          owner.exchange(...Array.from({ length: 1000 }, (_, f) => register(`w${w}.fn${String(f).padStart(4, '0')}`, { description: `function ${f} of worker ${w}` }))),
        ),
      )
      expect(context.engine.stats().functions).to.equal(20_000)
      const caller = await peer(context.url)

      // What a client that does not page gets: the first 500 and a cursor.
      const first = await caller.call('engine::functions::list')
      const firstPage = first.answer.result as { functions: Message[]; next_cursor?: string }
      expect(firstPage.functions).to.have.length(500)
      expect(firstPage.next_cursor).to.be.a('string')

      const pages = await allPages(caller, 'engine::functions::list', { limit: 1000 })
      expect(pages).to.have.length(20)
      const ids = pages.flatMap((page) => (page.answer.result as { functions: Message[] }).functions.map((entry) => entry.function_id))
      expect(ids).to.have.length(20_000)
      expect(new Set(ids).size).to.equal(20_000)
      const ofOneWorker = ids.filter((id) => String(id).startsWith('w3.'))
      expect(ofOneWorker).to.deep.equal([...ofOneWorker].sort()).and.have.length(1000)
      for (const page of pages) expect(page.bytes).to.be.below(MAX_PAGE_BYTES + 64 * 1024)

      const workers = await allPages(caller, 'engine::workers::list', { limit: 4 })
      expect(workers).to.have.length(6)
      const listedWorkers = workers.flatMap((page) => (page.answer.result as { workers: Array<{ functions: string[] }> }).workers)
      expect(listedWorkers.map((entry) => entry.functions.length).sort((a, b) => b - a).slice(0, 21)).to.deep.equal([...Array(20).fill(1000), 0])
    })

    it('bounds a page in bytes, with at least one function per page, and pages on while functions come and go', async () => {
      const worker = await peer(context.url)
      const big = 'x'.repeat(60 * 1024)
      expect(await worker.exchange(...Array.from({ length: 40 }, (_, index) => register(`big.${index}`, { description: big })))).to.deep.equal([])
      const first = await worker.call('engine::functions::list', { limit: 1000 })
      const firstPage = first.answer.result as { functions: Message[]; next_cursor: string }
      expect(firstPage.functions.length).to.be.within(10, 17)
      expect(first.bytes).to.be.below(MAX_PAGE_BYTES + 64 * 1024)

      // Removing listed and unlisted functions, and adding new ones, between pages: nothing repeats, the rest follows.
      expect(await worker.exchange({ type: 'unregisterfunction', id: 'big.0' }, { type: 'unregisterfunction', id: 'big.39' }, register('late'))).to.deep.equal([])
      const rest = await allPages(worker, 'engine::functions::list', { limit: 1000, cursor: firstPage.next_cursor })
      const restIds = rest.flatMap((page) => (page.answer.result as { functions: Message[] }).functions.map((entry) => entry.function_id))
      const seen = firstPage.functions.map((entry) => entry.function_id)
      expect([...seen, ...restIds]).to.deep.equal([...Array.from({ length: 39 }, (_, index) => `big.${index}`), 'late'])
    })

    it('answers invalid_input for a bad limit or cursor', async () => {
      const worker = await peer(context.url)
      for (const input of [{ limit: 0 }, { limit: 1.5 }, { limit: 'ten' }, { cursor: 'not-a-cursor' }, { cursor: 12 }]) {
        const { answer } = await worker.call('engine::functions::list', input)
        expect(answer.error, JSON.stringify(input)).to.include({ code: 'invalid_input' })
      }
    })
  })
})
