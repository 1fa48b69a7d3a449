import { expect } from 'chai'
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs'
import { ChannelError, ChannelReader } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

/** How a reader's stream ended: its values, or its error. */
const outcome = <T>(values: Promise<T[]>) => values.then((out) => ({ out }), (error: unknown) => ({ error }))

// Chunks and messages share one socket: a stream that nothing reads must not hold back the
// other for good, and text messages must not pile up without bound.
describe('a reader with a stream that nothing reads', () => {
  const context = useEngine()
  const worker = useWorkers()

  it('reading only messages$ while the writer sends binary chunks fails with unread_backlog instead of hanging', async function () {
    this.timeout(5_000)
    const { writer, readerRef } = await (await worker(context.url)).createChannel()
    const reader = new ChannelReader(readerRef, { engineUrl: context.url, unreadBacklogGraceMs: 100 })
    const messages = outcome(lastValueFrom(reader.messages$.pipe(toArray())))
    for (let index = 0; index < 32; index++) writer.write(Buffer.from([index]))
    writer.sendMessage('after the chunks')
    writer.close()
    const { error } = (await messages) as { error: ChannelError }
    expect(error).to.be.instanceOf(ChannelError).and.include({ code: 'unread_backlog' })
    expect(error.message).to.match(/\d+ binary chunks arrived that nothing reads/)
  })

  it('keeps text messages nobody reads within maxUnreadMessageBytes: past it the socket pauses and the reader fails with unread_backlog', async function () {
    this.timeout(5_000)
    const { writer, readerRef } = await (await worker(context.url)).createChannel()
    const reader = new ChannelReader(readerRef, { engineUrl: context.url, maxUnreadMessageBytes: 1024, unreadBacklogGraceMs: 100 })
    const chunks = outcome(lastValueFrom(reader.chunks$.pipe(toArray())))
    for (let index = 0; index < 64; index++) writer.sendMessage('m'.repeat(100))
    writer.write(Buffer.from('after the messages'))
    writer.close()
    const { error } = (await chunks) as { error: ChannelError }
    expect(error).to.be.instanceOf(ChannelError).and.include({ code: 'unread_backlog' })
    expect(error.message).to.match(/bytes of text messages arrived that nothing reads/)
  })

  it('keeps the unread stream for a subscriber that comes within the grace period: nothing lost, clean end', async function () {
    this.timeout(10_000)
    const { writer, writerRef, readerRef } = await (await worker(context.url)).createChannel(4)
    const reader = new ChannelReader(readerRef, { engineUrl: context.url })
    const messages = lastValueFrom(reader.messages$.pipe(toArray()))
    // The engine pauses the writer once the reader's socket stops taking frames.
    const paused = firstValueFrom(context.engine.events$.pipe(filter((event) => event.type === 'writer_paused' && event.channel_id === writerRef.channel_id)))
    for (let index = 0; index < 64; index++) writer.write(Buffer.from([index]))
    writer.sendMessage('after the chunks')
    writer.close()
    await paused
    const chunks = await lastValueFrom(reader.chunks$.pipe(toArray()))
    expect(chunks.map((chunk) => chunk[0])).to.deep.equal(Array.from({ length: 64 }, (_, index) => index))
    expect(await messages).to.deep.equal(['after the chunks'])
  })
})
