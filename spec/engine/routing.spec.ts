import { expect } from 'chai'
import { silentLogger } from '../../lib'
import { startEngineWith, type Engine } from '../../lib/engine/engine'
import { localRouting } from '../../lib/engine/engine-routing'
import type { FunctionRegistry } from '../../lib/engine/function-registry'
import type { InvocationRouter } from '../../lib/engine/invocation-router'
import type { WorkerConnection } from '../../lib/engine/worker-connection'
import { rawWorker, registered, sendJson } from '../support/engine'

// Issue 16 item 1: a cluster node plugs in its own registry and router without editing startEngine.
describe('an engine started with its own routing', () => {
  let engine: Engine
  afterEach(() => engine?.close())

  it('finds callees through the registry it was given and routes invocations through the router it was given', async () => {
    let gateway: WorkerConnection | undefined
    const routed: string[] = []
    engine = await startEngineWith({ port: 0, logger: silentLogger }, (context) => {
      const local = localRouting(context)
      // Each wraps the local one: methods not overridden here reach it through the prototype.
      // A registry that knows a function no local worker registered, served through a "gateway" worker.
      const functions: FunctionRegistry = Object.assign(Object.create(local.functions) as FunctionRegistry, {
        owner: (functionId: string) => (functionId === 'elsewhere.echo' ? gateway : local.functions.owner(functionId)),
        register: (worker: WorkerConnection, registration: Parameters<FunctionRegistry['register']>[1]) => {
          if (registration.id === 'gateway') gateway = worker
          return local.functions.register(worker, registration)
        },
      })
      const invocations: InvocationRouter = Object.assign(Object.create(local.invocations) as InvocationRouter, {
        forward: (...args: Parameters<InvocationRouter['forward']>) => {
          routed.push(args[2].function_id)
          return local.invocations.forward(...args)
        },
      })
      return { functions, invocations }
    })

    const node = await rawWorker(engine.url)
    const caller = await rawWorker(engine.url)
    await registered(node, 'gateway')
    sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'i1', function_id: 'elsewhere.echo', data: 'hello' })
    const forwarded = await node.next('invokefunction')
    expect(forwarded).to.deep.include({ function_id: 'elsewhere.echo', data: 'hello' })
    sendJson(node.ws, { type: 'invocationresult', invocation_id: forwarded.invocation_id, function_id: 'elsewhere.echo', result: 'from elsewhere' })
    expect(await caller.next('invocationresult')).to.deep.include({ invocation_id: 'i1', result: 'from elsewhere' })
    expect(routed).to.deep.equal(['elsewhere.echo'])
    expect(engine.stats().pendingInvocations).to.equal(0)
  })
})
