import { expect } from 'chai'
import { filter, firstValueFrom } from 'rxjs'
import { rawWorker, registered, sendJson, useEngine } from '../support/engine'

describe('engine worker routing', () => {
  const context = useEngine()

  it('greets every worker with workerregistered carrying an id and a reattach token', async () => {
    const worker = await rawWorker(context.url)
    const hello = await worker.next('workerregistered')
    expect(hello.worker_id).to.be.a('string').and.not.equal('')
    expect(hello.reattach_token).to.be.a('string').and.have.length.of.at.least(16)
  })

  it('routes an invocation to the owning worker and its result back, same invocation_id', async () => {
    const callee = await rawWorker(context.url)
    const caller = await rawWorker(context.url)
    await registered(callee, 'math.add')
    sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'inv-1', function_id: 'math.add', data: { a: 2, b: 3 }, traceparent: 't' })
    const invocation = await callee.next('invokefunction')
    expect(invocation).to.deep.include({ invocation_id: 'inv-1', function_id: 'math.add', data: { a: 2, b: 3 }, traceparent: 't' })
    sendJson(callee.ws, { type: 'invocationresult', invocation_id: 'inv-1', function_id: 'math.add', result: 5 })
    expect(await caller.next('invocationresult')).to.deep.include({ invocation_id: 'inv-1', result: 5 })
    expect(context.engine.stats().pendingInvocations).to.equal(0)
  })

  it('forwards fire-and-forget invocations without awaiting a result', async () => {
    const callee = await rawWorker(context.url)
    const caller = await rawWorker(context.url)
    await registered(callee, 'log.write')
    sendJson(caller.ws, { type: 'invokefunction', function_id: 'log.write', data: 'line', action: { type: 'void' } })
    expect(await callee.next('invokefunction')).to.deep.include({ function_id: 'log.write', data: 'line' })
    expect(context.engine.stats().pendingInvocations).to.equal(0)
  })

  it('answers an unknown function with function_not_found', async () => {
    const caller = await rawWorker(context.url)
    sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'x', function_id: 'no.such', data: {} })
    const answer = await caller.next('invocationresult')
    expect(answer.invocation_id).to.equal('x')
    expect(answer.error).to.deep.include({ code: 'function_not_found' })
  })

  it('fails pending invocations at once with invocation_stopped when the callee disconnects', async () => {
    const callee = await rawWorker(context.url)
    const caller = await rawWorker(context.url)
    await registered(callee, 'slow.job')
    sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'job-1', function_id: 'slow.job', data: {} })
    await callee.next('invokefunction')
    callee.ws.terminate()
    const answer = await caller.next('invocationresult')
    expect(answer.invocation_id).to.equal('job-1')
    expect(answer.error).to.deep.include({ code: 'invocation_stopped' })
    expect((answer.error as { message: string }).message).to.match(/disconnected/)
  })

  it('rejects a function id owned by another live worker, and frees it when that worker leaves', async () => {
    const owner = await rawWorker(context.url)
    const ownerId = (await owner.next('workerregistered')).worker_id
    const other = await rawWorker(context.url)
    await registered(owner, 'shared.id')
    sendJson(other.ws, { type: 'registerfunction', id: 'shared.id' })
    expect(await other.next('registrationrejected')).to.deep.include({ function_id: 'shared.id', owner_worker_id: ownerId })

    const gone = firstValueFrom(context.engine.events$.pipe(filter((event) => event.type === 'worker_disconnected')))
    owner.ws.close()
    await gone
    await registered(other, 'shared.id')
    sendJson(other.ws, { type: 'invokefunction', invocation_id: 'mine', function_id: 'shared.id', data: {} })
    expect(await other.next('invokefunction')).to.deep.include({ invocation_id: 'mine' })
  })

  it('accepts a worker re-registering its own function, as a reconnect replay does', async () => {
    const worker = await rawWorker(context.url)
    await registered(worker, 'twice')
    await registered(worker, 'twice')
    expect(context.engine.stats().functions).to.equal(1)
  })

  it('serves engine::functions::list and engine::workers::list with registered metadata', async () => {
    const worker = await rawWorker(context.url)
    const workerId = (await worker.next('workerregistered')).worker_id
    await registered(worker, 'listed.fn')
    sendJson(worker.ws, {
      type: 'invokefunction',
      function_id: 'engine::workers::register',
      data: { runtime: 'node', name: 'lister' },
      action: { type: 'void' },
    })
    sendJson(worker.ws, { type: 'invokefunction', invocation_id: 'f', function_id: 'engine::functions::list', data: {} })
    const functions = (await worker.next('invocationresult')).result as { functions: unknown[] }
    expect(functions.functions).to.deep.include({ function_id: 'listed.fn', worker_id: workerId, description: 'does listed.fn' })
    sendJson(worker.ws, { type: 'invokefunction', invocation_id: 'w', function_id: 'engine::workers::list', data: {} })
    const workers = (await worker.next('invocationresult')).result as { workers: Array<Record<string, unknown>> }
    expect(workers.workers).to.have.length(1)
    expect(workers.workers[0]).to.deep.include({ worker_id: workerId, functions: ['listed.fn'], metadata: { runtime: 'node', name: 'lister' } })
  })

  it('answers buffer_size outside 1..1024 as the protocol says: capped above, refused below', async () => {
    const worker = await rawWorker(context.url)
    sendJson(worker.ws, { type: 'invokefunction', invocation_id: 'a', function_id: 'engine::channels::create', data: { buffer_size: 0 } })
    expect((await worker.next('invocationresult')).error).to.deep.include({ code: 'invalid_input' })
    const created = firstValueFrom(context.engine.events$.pipe(filter((event) => event.type === 'channel_created')))
    sendJson(worker.ws, { type: 'invokefunction', invocation_id: 'b', function_id: 'engine::channels::create', data: { buffer_size: 5000 } })
    expect(await created).to.deep.include({ buffer_size: 1024 })
    const result = (await worker.next('invocationresult')).result
    // buffer_size tells the caller what it was granted; iii answers only the two refs.
    expect(result).to.have.keys('writer', 'reader', 'buffer_size')
    expect(result).to.deep.include({ buffer_size: 1024 })
  })

  it('answers malformed frames with a protocolerror and keeps serving the worker', async () => {
    const worker = await rawWorker(context.url)
    worker.ws.send('{not json')
    expect(await worker.next('protocolerror')).to.deep.include({ code: 'invalid_message' })
    sendJson(worker.ws, { type: 'invokefunction', invocation_id: 'bad', function_id: 42 })
    expect((await worker.next('protocolerror')).message).to.match(/function_id/)
    expect((await worker.next('invocationresult')).error).to.deep.include({ code: 'invalid_message' })
    worker.ws.send(Buffer.from([1, 2, 3]))
    expect((await worker.next('protocolerror')).message).to.match(/binary/)
    sendJson(worker.ws, { type: 'registertriggertype', id: 'cron' })
    await registered(worker, 'still.works')
    expect(context.engine.stats().functions).to.equal(1)
  })
})
