import { expect } from 'chai'
import { createHash, randomBytes } from 'crypto'
import { lastValueFrom, merge, map, Subject, toArray, reduce } from 'rxjs'
import { FRAME_SIZE } from '../../lib'
import { nextEvent, useEngine } from '../support/engine'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy'
import { useWorkers } from '../support/workers'

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

describe('ChannelReader in credit mode (channelReaderCredit)', () => {
  const context = useEngine()
  const worker = useWorkers()
  let proxy: TcpProxy | undefined

  afterEach(async () => {
    await proxy?.close()
    proxy = undefined
  })

  it('delivers every byte and message in order, then a clean end', async () => {
    const client = await worker(context.url, { channelReaderCredit: true })
    const { writer, reader } = await client.createChannel(8)
    const data = randomBytes(4 * 1024 * 1024 + 123)
    const received = lastValueFrom(merge(reader.chunks$, reader.messages$.pipe(map((message) => `txt:${message}`))).pipe(toArray()))
    writer.messages.next('first')
    for (let offset = 0; offset < data.length; offset += FRAME_SIZE) writer.chunks.next(data.subarray(offset, offset + FRAME_SIZE))
    writer.messages.next('last')
    writer.close()
    const items = await received
    expect(items[0]).to.equal('txt:first')
    expect(items[items.length - 1]).to.equal('txt:last')
    expect(sha256(Buffer.concat(items.filter((item): item is Buffer => Buffer.isBuffer(item))))).to.equal(sha256(data))
  })

  it('is sent no more than its read-ahead (16 frames) while nothing is demanded, however much the path to it would take', async () => {
    // The proxy takes whatever the engine sends at once: only credit can hold the engine back.
    proxy = await startTcpProxy(context.url)
    const client = await worker(proxy.url, { channelReaderCredit: true })
    const { writer, reader, writerRef } = await client.createChannel(8)
    const demand = new Subject<number>()
    const total = lastValueFrom(reader.flow.pull(demand).pipe(reduce((bytes, chunk) => bytes + chunk.length, 0)))
    const paused = nextEvent(context.engine, 'writer_paused', (event) => event.channel_id === writerRef.channel_id)
    const frames = 64
    for (let index = 0; index < frames; index++) writer.chunks.next(Buffer.alloc(FRAME_SIZE, index))
    writer.close()
    await paused
    const sentToReader = proxy.bytesToClients()
    // 16 frames with their headers, and the worker socket's few control messages.
    expect(sentToReader).to.be.below(16 * (FRAME_SIZE + 14) + 16 * 1024)
    demand.next(Number.MAX_SAFE_INTEGER)
    expect(await total).to.equal(frames * FRAME_SIZE)
  })
})
