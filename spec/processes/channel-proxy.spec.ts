import { expect } from 'chai'
import { lastValueFrom, tap, toArray } from 'rxjs'
import { ChannelError, openChannelEnd, type ChannelReader, type ChannelWriter } from '../../lib'
import { spawnTs, type TsProcess } from '../../demos/support/processes'
import { useStaticCluster } from '../support/static-cluster'
import { digestChannel, produceRandom } from '../support/transfer'
import { useWorkers } from '../support/workers'

describe('a channel home node killed mid-stream (home engine its own OS process, proxies in this one)', () => {
  const cluster = useStaticCluster(['B', 'C'])
  const worker = useWorkers()
  let home: TsProcess

  beforeEach(async () => {
    home = spawnTs('spec/fixtures/homed-engine.ts', ['A'])
    const [, url] = await home.waitForLine(/^LISTENING (\S+)/)
    cluster.members.set('A', url)
  })

  afterEach(async () => {
    home.kill('SIGKILL')
    await home.exited
  })

  it('fails the proxied writer on B and the proxied reader on C with 1011 naming the lost home, never a clean end', async () => {
    const creator = await worker(cluster.members.get('A') as string)
    const { writerRef, readerRef } = await creator.createChannel()
    const writer = openChannelEnd(writerRef, { engineUrl: cluster.engines.B.url }) as ChannelWriter
    const reader = openChannelEnd(readerRef, { engineUrl: cluster.engines.C.url }) as ChannelReader
    let streaming!: () => void
    const firstChunk = new Promise<void>((resolve) => (streaming = resolve))
    const read = lastValueFrom(reader.chunks$.pipe(tap(() => streaming()), toArray())).then(
      (chunks) => `completed after ${chunks.length} chunks`,
      (error: ChannelError) => error,
    )
    const written = lastValueFrom(writer.closed$).then(
      () => 'completed',
      (error: ChannelError) => error,
    )
    // Written until the writer fails: the home dies while bytes are in flight.
    const writing = (async () => {
      const chunk = Buffer.alloc(64 * 1024, 7)
      while (!writer.stream.destroyed && !writer.stream.writableEnded) {
        if (!writer.stream.write(chunk)) await Promise.race([new Promise((resolve) => writer.stream.once('drain', resolve)), written])
      }
    })()
    writer.stream.on('error', () => undefined)
    await firstChunk
    home.kill('SIGKILL')
    for (const error of [await read, await written]) {
      expect(error).to.be.instanceOf(ChannelError)
      expect(error).to.include({ code: 'writer_aborted' })
      expect((error as ChannelError).details.closeCode).to.equal(1011)
      expect((error as ChannelError).message).to.contain('channel home node A lost')
    }
    await writing
  })
})

describe('a node proxying channel ends killed mid-stream (proxying engine its own OS process, home in this one)', () => {
  const cluster = useStaticCluster(['A'])
  const worker = useWorkers()
  let proxying: TsProcess

  beforeEach(async () => {
    proxying = spawnTs('spec/fixtures/homed-engine.ts', ['B', `A=${cluster.engines.A.url}`])
    const [, url] = await proxying.waitForLine(/^LISTENING (\S+)/)
    cluster.members.set('B', url)
  })

  afterEach(async () => {
    proxying.kill('SIGKILL')
    await proxying.exited
  })

  it('fails the writer proxied through it with channel_closed and the reader on the home with writer_aborted, never a clean end', async () => {
    const creator = await worker(cluster.engines.A.url)
    const { writerRef, reader } = await creator.createChannel()
    const writer = openChannelEnd(writerRef, { engineUrl: cluster.members.get('B') as string }) as ChannelWriter
    let streaming!: () => void
    const firstChunk = new Promise<void>((resolve) => (streaming = resolve))
    const read = lastValueFrom(reader.chunks$.pipe(tap(() => streaming()), toArray())).then(
      (chunks) => `completed after ${chunks.length} chunks`,
      (error: ChannelError) => error,
    )
    const written = lastValueFrom(writer.closed$).then(
      () => 'completed',
      (error: ChannelError) => error,
    )
    writer.stream.on('error', () => undefined)
    const writing = (async () => {
      const chunk = Buffer.alloc(64 * 1024, 7)
      while (!writer.stream.destroyed && !writer.stream.writableEnded) {
        if (!writer.stream.write(chunk)) await Promise.race([new Promise((resolve) => writer.stream.once('drain', resolve)), written])
      }
    })()
    await firstChunk
    proxying.kill('SIGKILL')
    const readError = await read
    expect(readError).to.be.instanceOf(ChannelError)
    expect(readError).to.include({ code: 'writer_aborted', message: 'the writer aborted the stream: writer disconnected mid-stream' })
    const writeError = await written
    expect(writeError).to.be.instanceOf(ChannelError)
    expect(writeError).to.include({ code: 'channel_closed' })
    await writing
  })
})

describe('three engines, each its own OS process: a channel created on A, written from B and read on C', function () {
  this.timeout(120_000)
  const worker = useWorkers()
  const nodes: TsProcess[] = []

  const node = async (...args: string[]) => {
    const child = spawnTs('spec/fixtures/homed-engine.ts', args)
    nodes.push(child)
    return (await child.waitForLine(/^LISTENING (\S+)/))[1]
  }

  afterEach(async () => {
    for (const child of nodes.splice(0)) {
      child.kill('SIGKILL')
      await child.exited
    }
  })

  it('carries 256 MiB of random bytes intact (SHA-256) with text messages in order', async () => {
    const a = await node('A')
    const [b, c] = await Promise.all([node('B', `A=${a}`), node('C', `A=${a}`)])
    const { writerRef, readerRef } = await (await worker(a)).createChannel()
    const writer = openChannelEnd(writerRef, { engineUrl: b }) as ChannelWriter
    const reader = openChannelEnd(readerRef, { engineUrl: c }) as ChannelReader
    const [sent, received] = await Promise.all([produceRandom(writer, 256), digestChannel(reader)])
    expect(received).to.deep.equal(sent)
    expect(received.bytes).to.equal(256 * 1024 * 1024)
  })
})

