import { expect } from 'chai'
import { createHash, randomUUID } from 'crypto'
import { lastValueFrom, toArray } from 'rxjs'
import { openChannelEnd, type ChannelReader, type ChannelWriter } from '../../lib'
import { channelUrl } from '../../lib/protocol/channel-url'
import type { StreamChannelRef } from '../../lib/protocol/refs'
import { createRawChannel, nextEvent, openRaw, refusal, statsReach } from '../support/engine'
import { useStaticCluster } from '../support/static-cluster'
import { produceRandom, type Transfer } from '../support/transfer'
import { useWorkers } from '../support/workers'

const MiB = 1024 * 1024

/** Reads a channel to its end: the bytes' hash and count, and every text message in order. */
async function digest(reader: ChannelReader): Promise<Transfer> {
  const messages = lastValueFrom(reader.messages$.pipe(toArray()))
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of reader.stream) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { sha256: hash.digest('hex'), bytes, messages: await messages }
}

describe('channels across engines: an end that reaches another node is proxied to the channel home', function () {
  this.timeout(60_000)
  const cluster = useStaticCluster(['A', 'B', 'C'])
  const worker = useWorkers()
  const url = (node: string) => cluster.engines[node].url
  const end = (node: string, ref: StreamChannelRef) => openRaw(channelUrl(url(node), ref))

  it('names the home node in the channel id', async () => {
    const { writer } = await createRawChannel(url('A'))
    expect(writer.channel_id).to.match(/^A\.[0-9a-f-]{36}$/)
  })

  it('carries 32 MiB written on B and read on C, of a channel created on A, intact with text messages in order', async () => {
    const creator = await worker(url('A'))
    const { writerRef, readerRef } = await creator.createChannel()
    const proxied = ['B', 'C'].map((node) => nextEvent(cluster.engines[node], 'end_proxied', (event) => event.channel_id === writerRef.channel_id))
    const writer = openChannelEnd(writerRef, { engineUrl: url('B') }) as ChannelWriter
    const reader = openChannelEnd(readerRef, { engineUrl: url('C') }) as ChannelReader
    const [sent, received] = await Promise.all([produceRandom(writer, 32), digest(reader)])
    expect(await Promise.all(proxied)).to.deep.equal(['B', 'C'].map(() => ({ type: 'end_proxied', channel_id: writerRef.channel_id, home_node: 'A' })))
    expect(received).to.deep.equal(sent)
    expect(received.bytes).to.equal(32 * MiB)
    await Promise.all(['B', 'C'].map((node) => statsReach(cluster.engines[node], (stats) => stats.proxiedEnds === 0 && stats.proxiedBytes === 0)))
  })

  it('refuses across the hop with the status and reason of the home node', async () => {
    const { writer, reader } = await createRawChannel(url('A'))
    const unknown = { ...reader, channel_id: `A.${randomUUID()}` }
    const cases = [
      { ...reader, access_key: 'wrong' },
      { ...reader, access_key: writer.access_key },
      { ...writer, access_key: reader.access_key },
      unknown,
    ]
    for (const ref of cases) {
      const direct = await refusal(channelUrl(url('A'), ref))
      expect(await refusal(channelUrl(url('B'), ref))).to.deep.equal(direct)
    }
    expect((await refusal(channelUrl(url('B'), unknown))).status).to.equal(404)
    expect((await refusal(channelUrl(url('B'), { ...reader, access_key: 'wrong' }))).status).to.equal(403)
  })

  it('closes a second end across the hop with 4409 and the reason of the home node', async () => {
    const { reader } = await createRawChannel(url('A'))
    const first = await end('B', reader)
    const second = await end('C', reader)
    expect(await second.closed).to.deep.equal({ code: 4409, reason: 'the read end of this channel is already connected' })
    first.ws.close(1000)
  })

  it('refuses a channel whose home node is no member with 404 and a reason naming the node', async () => {
    const { reader } = await createRawChannel(url('A'))
    expect(await refusal(channelUrl(url('B'), { ...reader, channel_id: `Z.${randomUUID()}` }))).to.deep.equal({
      status: 404,
      body: 'unknown or expired channel: its home node Z is gone',
    })
  })
})
