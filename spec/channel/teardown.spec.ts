import { expect } from 'chai'
import { firstValueFrom, lastValueFrom, timeout, type Observable } from 'rxjs'
import { ChannelError } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

/** Resolves when `drain$` completes; a drain$ that stays open fails the spec after a bound. */
const drainCompleted = (drain$: Observable<void>) => lastValueFrom(drain$.pipe(timeout(5_000)), { defaultValue: undefined })

describe('channel end teardown', () => {
  const context = useEngine()
  const worker = useWorkers()

  it("completes a writer's drain$ once its end has reached the engine", async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const read = reader.readAll()
    writer.write(Buffer.from('all of it'))
    writer.close()
    await lastValueFrom(writer.closed$, { defaultValue: undefined })
    await drainCompleted(writer.chunks.drain$)
    expect((await read).toString()).to.equal('all of it')
  })

  it("completes a writer's drain$ once it has failed", async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const read = reader.readAll().catch((error: unknown) => error)
    writer.write(Buffer.from('partial'))
    writer.abort(new Error('gave up'))
    const failure = await firstValueFrom(writer.closed$).catch((error: unknown) => error)
    expect(failure).to.be.instanceOf(ChannelError).and.to.have.property('code', 'writer_aborted')
    await drainCompleted(writer.chunks.drain$)
    expect(await read).to.be.instanceOf(ChannelError).and.to.have.property('code', 'writer_aborted')
  })
})
