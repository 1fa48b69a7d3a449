import { expect } from 'chai'
import { filter, firstValueFrom, take, toArray } from 'rxjs'
import { ChannelReader, ChannelWriter, InvocationError, silentLogger, startEngine, WorkerError, type Engine } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: InvocationError) => error,
  )

describe('worker client', () => {
  const context = useEngine()
  const worker = useWorkers()

  it('registers functions by id or by definition and triggers them through the engine', async () => {
    const callee = await worker(context.url)
    callee.registerFunction('greet', ({ name }: { name: string }) => `hello ${name}`)
    callee.registerFunction({ id: 'add', description: 'adds two numbers' }, async ({ a, b }: { a: number; b: number }) => a + b)
    await callee.ready()
    const caller = await worker(context.url)
    expect(await caller.trigger({ function_id: 'greet', payload: { name: 'rx' } })).to.equal('hello rx')
    expect(await caller.trigger({ function_id: 'add', payload: { a: 2, b: 40 } })).to.equal(42)
  })

  it('rejects with function_not_found for an unknown function', async () => {
    const caller = await worker(context.url)
    const error = await rejection(caller.trigger({ function_id: 'missing.fn', payload: {} }))
    expect(error).to.be.instanceOf(InvocationError)
    expect(error).to.include({ code: 'function_not_found', function_id: 'missing.fn' })
  })

  it('rejects with invocation_failed and the message when the handler throws', async () => {
    const callee = await worker(context.url)
    callee.registerFunction('explode', () => {
      throw new Error('kaboom')
    })
    await callee.ready()
    const error = await rejection((await worker(context.url)).trigger({ function_id: 'explode' }))
    expect(error).to.include({ code: 'invocation_failed' })
    expect(error.message).to.contain('kaboom')
    expect(error.stacktrace).to.contain('kaboom')
  })

  it('rejects with TIMEOUT after timeoutMs', async () => {
    const callee = await worker(context.url)
    callee.registerFunction('never', () => new Promise(() => undefined))
    await callee.ready()
    const error = await rejection((await worker(context.url)).trigger({ function_id: 'never', timeoutMs: 100 }))
    expect(error).to.include({ code: 'TIMEOUT' })
  })

  it('sends fire-and-forget invocations with action void', async () => {
    const callee = await worker(context.url)
    const seen = new Promise((resolve) => callee.registerFunction('notify', resolve))
    await callee.ready()
    const caller = await worker(context.url)
    expect(await caller.trigger({ function_id: 'notify', payload: { event: 'x' }, action: { type: 'void' } })).to.equal(undefined)
    expect(await seen).to.deep.equal({ event: 'x' })
  })

  it('refuses an empty or duplicate function id with a typed error', async () => {
    const client = await worker(context.url)
    expect(() => client.registerFunction('', () => 1)).to.throw(WorkerError)
    client.registerFunction('once', () => 1)
    expect(() => client.registerFunction('once', () => 2)).to.throw(WorkerError, /already registered/)
  })

  it('materializes refs nested in arrays and objects into live ends, and serializes live ends as refs', async () => {
    const callee = await worker(context.url)
    const received = new Promise<unknown>((resolve) =>
      callee.registerFunction('inspect', (input: unknown) => {
        resolve(input)
        return 'ok'
      }),
    )
    await callee.ready()
    const caller = await worker(context.url)
    const first = await caller.createChannel()
    const second = await caller.createChannel()
    await caller.trigger({
      function_id: 'inspect',
      payload: { list: [1, { deep: first.readerRef }], nested: { writer: second.writerRef }, live: second.reader, plain: { channel_id: 'x' } },
    })
    const input = (await received) as {
      list: [number, { deep: unknown }]
      nested: { writer: unknown }
      live: unknown
      plain: unknown
    }
    expect(input.list[0]).to.equal(1)
    expect(input.list[1].deep).to.be.instanceOf(ChannelReader)
    expect((input.list[1].deep as ChannelReader).ref).to.deep.equal(first.readerRef)
    expect(input.nested.writer).to.be.instanceOf(ChannelWriter)
    expect(input.live).to.be.instanceOf(ChannelReader)
    expect((input.live as ChannelReader).ref).to.deep.equal(second.readerRef)
    expect(input.plain).to.deep.equal({ channel_id: 'x' })
  })

  it('fails a pending trigger with invocation_stopped as soon as the callee worker leaves', async () => {
    const callee = await worker(context.url)
    const started = new Promise<void>((resolve) =>
      callee.registerFunction('hang', () => {
        resolve()
        return new Promise(() => undefined)
      }),
    )
    await callee.ready()
    const pending = rejection((await worker(context.url)).trigger({ function_id: 'hang', timeoutMs: 60_000 }))
    await started
    await callee.shutdown()
    expect(await pending).to.include({ code: 'invocation_stopped' })
  })
})

describe('worker client reconnect', () => {
  let engine: Engine | undefined
  const worker = useWorkers()
  afterEach(async () => {
    await engine?.close()
  })

  it('reconnects after an engine restart on the same port, replays registrations and works again', async () => {
    engine = await startEngine({ port: 0, logger: silentLogger })
    const { port, url } = engine
    const callee = await worker(url)
    callee.registerFunction('echo', (input: unknown) => input)
    const caller = await worker(url)
    expect(await caller.trigger({ function_id: 'echo', payload: 1 })).to.equal(1)

    await engine.close()
    engine = await startEngine({ port, logger: silentLogger })
    const bothBack = firstValueFrom(engine.events$.pipe(filter((event) => event.type === 'worker_connected'), take(2), toArray()))
    // Sent while disconnected: queued, then flushed once the caller is back.
    const queued = caller.trigger<{ functions: unknown[] }>({ function_id: 'engine::functions::list', payload: {} })
    await bothBack
    expect((await queued).functions).to.be.an('array')
    await callee.ready()
    expect(await caller.trigger({ function_id: 'echo', payload: 2 })).to.equal(2)
    const channel = await caller.createChannel()
    channel.writer.stream.end(Buffer.from('after restart'))
    expect((await channel.reader.readAll()).toString()).to.equal('after restart')
  })
})
