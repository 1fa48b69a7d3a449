import { expect } from 'chai'
import * as E from 'fp-ts/Either'
import type * as t from 'io-ts'
import { describeErrors } from '../../lib/protocol/decode'
import { CreatedChannel, FunctionList, WorkerList } from '../../lib/protocol/engine-functions'
import { RegisterFunction } from '../../lib/protocol/messages'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

/** `value` decoded by `codec`, or a failed expectation naming the bad fields. */
function decodes<A>(codec: t.Decoder<unknown, A>, value: unknown): A {
  const decoded = codec.decode(value)
  if (E.isLeft(decoded)) return expect.fail(`${JSON.stringify(value)} does not decode: ${describeErrors(decoded.left)}`)
  return decoded.right
}

describe('codecs of the engine functions', () => {
  const context = useEngine()
  const worker = useWorkers()

  it("describe the engine's own answers: a created channel and both listings", async () => {
    const owner = await worker(context.url, { workerName: 'lister' })
    owner.registerFunction({ id: 'listed.fn', description: 'shown' }, () => null)
    await owner.ready()
    expect(decodes(CreatedChannel, await owner.trigger({ function_id: 'engine::channels::create', payload: { buffer_size: 3 } })).buffer_size).to.equal(3)
    const functions = decodes(FunctionList, await owner.trigger({ function_id: 'engine::functions::list' })).functions
    expect(functions.find((listed) => listed.function_id === 'listed.fn')).to.include({ description: 'shown' })
    const workers = decodes(WorkerList, await owner.trigger({ function_id: 'engine::workers::list' })).workers
    expect(workers.some((listed) => listed.functions.includes('listed.fn'))).to.equal(true)
  })

  it('decode a registration exact: fields the protocol does not define are dropped', () => {
    const registration = { type: 'registerfunction', id: 'fn', description: 'kept', metadata: { nested: 'kept' }, smuggled: 'dropped' }
    expect(decodes(RegisterFunction, registration)).to.deep.equal({ type: 'registerfunction', id: 'fn', description: 'kept', metadata: { nested: 'kept' } })
  })
})
