import { expect } from 'chai'
import { filter, firstValueFrom, lastValueFrom, Subject } from 'rxjs'
import { ChannelError, fromAsyncIterable } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

// Each spec here is named after a bug that was fixed. The first two hung for ws's 30 s close
// timeout before the fix; their own timeout is the bound on that hang, not a speed target.
describe('channel regressions', () => {
  const context = useEngine()
  const worker = useWorkers()

  it('a reader that leaves while its socket is paused completes the close handshake (no 30 s wait)', async function () {
    this.timeout(15_000)
    const { writer, reader, writerRef } = await (await worker(context.url)).createChannel(4)
    const demand = new Subject<number>()
    const firstChunk = new Promise<void>((resolve) => {
      const subscription = reader.flow.pull(demand).subscribe(() => {
        resolve()
        queueMicrotask(() => subscription.unsubscribe())
      })
    })
    const paused = firstValueFrom(context.engine.events$.pipe(filter((event) => event.type === 'writer_paused')))
    const finished = firstValueFrom(context.engine.events$.pipe(filter((event) => event.type === 'channel_finished' && event.channel_id === writerRef.channel_id)))
    demand.next(1)
    for (let index = 0; index < 256; index++) writer.write(Buffer.alloc(64 * 1024))
    await Promise.all([firstChunk, paused])
    await finished
    const error = await lastValueFrom(writer.closed$, { defaultValue: undefined }).catch((failure: ChannelError) => failure)
    expect(error).to.include({ code: 'reader_gone' })
  })

  it('a writer the engine had paused learns reader_gone through a completed close handshake (no 30 s wait)', async function () {
    this.timeout(15_000)
    const { writer, reader } = await (await worker(context.url)).createChannel(4)
    const outcome = lastValueFrom(writer.closed$, { defaultValue: undefined }).catch((error: ChannelError) => error)
    const paused = firstValueFrom(context.engine.events$.pipe(filter((event) => event.type === 'writer_paused')))
    for (let index = 0; index < 256; index++) writer.write(Buffer.alloc(64 * 1024))
    await paused
    await firstValueFrom(reader.chunks$)
    const error = await outcome
    expect(error).to.include({ code: 'reader_gone' })
    expect((error as ChannelError).details.closeCode).to.equal(4410)
  })

  it('Flow.to(writer.chunks) from an in-memory source settles when the channel closes, without spinning', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    let produced = 0
    async function* endless() {
      for (;;) {
        // Turns the old livelock (offers accepted on a closing socket, the event loop never turning) into a failure.
        if (++produced > 1_000_000) throw new Error('a million chunks accepted while the socket was closing')
        yield Buffer.alloc(1024)
      }
    }
    const done = lastValueFrom(fromAsyncIterable(endless()).to(writer.chunks)).catch((error: ChannelError) => error)
    await firstValueFrom(reader.chunks$.pipe(filter(() => produced > 10_000)))
    void context.engine.close()
    expect(await done).to.include({ code: 'engine_shutting_down' })
  })
})
