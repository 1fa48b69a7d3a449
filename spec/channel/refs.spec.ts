import { expect } from 'chai'
import { materializeRefs } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

const options = { engineUrl: 'ws://127.0.0.1:1' }

describe('materializeRefs', () => {
  it('keeps a "__proto__" key of a payload as an own property, never as the prototype', () => {
    const payload = JSON.parse('{"__proto__":{"isAdmin":true},"nested":{"__proto__":{"polluted":1}},"list":[{"__proto__":null}]}') as object
    const out = materializeRefs(payload, options) as Record<string, Record<string, unknown>>
    expect(Object.getPrototypeOf(out)).to.equal(Object.prototype)
    expect(out.isAdmin).to.equal(undefined)
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).to.deep.equal({ isAdmin: true })
    expect(Object.getPrototypeOf(out.nested)).to.equal(Object.prototype)
    expect(out.nested.polluted).to.equal(undefined)
    expect(Object.getPrototypeOf((out.list as unknown as object[])[0])).to.equal(Object.prototype)
    expect(JSON.stringify(out)).to.equal(JSON.stringify(payload))
  })

  describe('in a handler', () => {
    const context = useEngine()
    const worker = useWorkers()

    it('hands the handler a plain object whatever keys the caller sent', async () => {
      const callee = await worker(context.url)
      callee.registerFunction('inspect', (input: Record<string, unknown>) => ({
        plain: Object.getPrototypeOf(input) === Object.prototype,
        isAdmin: input.isAdmin ?? null,
        keys: Object.keys(input),
      }))
      await callee.ready()
      const caller = await worker(context.url)
      const payload = JSON.parse('{"__proto__":{"isAdmin":true},"name":"x"}') as unknown
      expect(await caller.trigger({ function_id: 'inspect', payload })).to.deep.equal({ plain: true, isAdmin: null, keys: ['__proto__', 'name'] })
    })
  })
})
