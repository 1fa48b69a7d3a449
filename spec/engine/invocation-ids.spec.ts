import { expect } from 'chai'
import { nextEvent, rawWorker, registered, sendJson, useEngine } from '../support/engine'

// Regression (issue 10, item 7b): ids were shared by all callers of one callee, so a second
// caller that happened to use an id pending for the first got invalid_message.
describe('invocation ids are scoped per caller', () => {
  const context = useEngine()

  it('gives two callers that use the same invocation_id for one callee each their own result', async () => {
    const callee = await rawWorker(context.url)
    const first = await rawWorker(context.url)
    const second = await rawWorker(context.url)
    await registered(callee, 'ids.echo')

    sendJson(first.ws, { type: 'invokefunction', invocation_id: 'same', function_id: 'ids.echo', data: 'first', traceparent: 't1' })
    const toFirst = await callee.next('invokefunction')
    expect(toFirst).to.deep.include({ invocation_id: 'same', data: 'first' })
    sendJson(second.ws, { type: 'invokefunction', invocation_id: 'same', function_id: 'ids.echo', data: 'second', traceparent: 't2' })
    const toSecond = await callee.next('invokefunction')
    // The callee sees a free id for the second call, with every other field as sent.
    expect(toSecond).to.deep.include({ function_id: 'ids.echo', data: 'second', traceparent: 't2' })
    expect(toSecond.invocation_id).to.be.a('string').and.not.equal('same')

    // Answered in the other order: each result still reaches its own caller, under the caller's id.
    for (const invocation of [toSecond, toFirst]) {
      sendJson(callee.ws, { type: 'invocationresult', invocation_id: invocation.invocation_id, function_id: 'ids.echo', result: invocation.data, baggage: 'b' })
    }
    expect(await first.next('invocationresult')).to.deep.include({ invocation_id: 'same', result: 'first', baggage: 'b' })
    expect(await second.next('invocationresult')).to.deep.include({ invocation_id: 'same', result: 'second', baggage: 'b' })
    expect(context.engine.stats().pendingInvocations).to.equal(0)
  })

  it('answers a caller that reuses one of its own pending ids with invalid_message, and its first call still completes', async () => {
    const callee = await rawWorker(context.url)
    const caller = await rawWorker(context.url)
    await registered(callee, 'ids.echo')
    sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'mine', function_id: 'ids.echo', data: 1 })
    await callee.next('invokefunction')
    sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'mine', function_id: 'ids.echo', data: 2 })
    const refused = await caller.next('invocationresult')
    expect(refused).to.deep.include({ invocation_id: 'mine' })
    expect(refused.error).to.deep.include({ code: 'invalid_message', message: 'invocation_id mine is already pending' })

    sendJson(callee.ws, { type: 'invocationresult', invocation_id: 'mine', function_id: 'ids.echo', result: 1 })
    expect(await caller.next('invocationresult')).to.deep.include({ invocation_id: 'mine', result: 1 })
  })

  it('fails both callers under their own id when the callee disconnects', async () => {
    const callee = await rawWorker(context.url)
    const first = await rawWorker(context.url)
    const second = await rawWorker(context.url)
    await registered(callee, 'ids.hang')
    for (const caller of [first, second]) {
      sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'same', function_id: 'ids.hang', data: {} })
      await callee.next('invokefunction')
    }
    callee.ws.terminate()
    for (const caller of [first, second]) {
      const answer = await caller.next('invocationresult')
      expect(answer).to.deep.include({ invocation_id: 'same', function_id: 'ids.hang' })
      expect(answer.error).to.deep.include({ code: 'invocation_stopped' })
    }
  })

  it('forgets the calls of a caller that leaves, so another caller may use the same id at once', async () => {
    const callee = await rawWorker(context.url)
    const leaving = await rawWorker(context.url)
    const staying = await rawWorker(context.url)
    await registered(callee, 'ids.echo')
    sendJson(leaving.ws, { type: 'invokefunction', invocation_id: 'same', function_id: 'ids.echo', data: 'gone' })
    await callee.next('invokefunction')
    const gone = nextEvent(context.engine, 'worker_disconnected')
    leaving.ws.terminate()
    await gone
    sendJson(staying.ws, { type: 'invokefunction', invocation_id: 'same', function_id: 'ids.echo', data: 'here' })
    const forwarded = await callee.next('invokefunction')
    expect(forwarded.invocation_id, 'the id is free again, so forwarded unchanged').to.equal('same')
    sendJson(callee.ws, { type: 'invocationresult', invocation_id: forwarded.invocation_id, function_id: 'ids.echo', result: forwarded.data })
    expect(await staying.next('invocationresult')).to.deep.include({ invocation_id: 'same', result: 'here' })
  })
})
