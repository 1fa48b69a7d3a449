import { expect } from 'chai'
import { spawnTs, type TsProcess } from '../../demos/support/processes'
import { useStaticCluster } from '../support/static-cluster'
import { digestChannel, produceRandom, type Transfer } from '../support/transfer'
import { useWorkers } from '../support/workers'

const MiB = 1024 * 1024

describe('an official iii-sdk worker on node B using a channel created on node A (proxied by B; iii-sdk worker its own process)', function () {
  this.timeout(60_000)
  const cluster = useStaticCluster(['A', 'B'])
  const worker = useWorkers()
  let official: TsProcess

  beforeEach(async () => {
    official = spawnTs('spec/fixtures/iii-peer.ts', [cluster.engines.B.url, 'iii'])
    await official.waitForLine(/^READY/)
  })

  afterEach(async () => {
    official.kill('SIGKILL')
    await official.exited
  })

  it('reads one channel and writes another, 8 MiB each, intact with text messages in order', async () => {
    const creator = await worker(cluster.engines.A.url)
    const caller = await worker(cluster.engines.B.url)
    const toOfficial = await creator.createChannel()
    const fromOfficial = await creator.createChannel()
    expect(toOfficial.readerRef.channel_id).to.match(/^A\./)
    // The official client builds channel URLs from the engine it connected to: B proxies both its ends to A.
    const proxied: string[] = []
    const subscription = cluster.engines.B.events$.subscribe((event) => {
      if (event.type === 'end_proxied') proxied.push(event.channel_id)
    })
    const officialDigest = caller.trigger<Transfer>({ function_id: 'iii.digest', payload: { reader: toOfficial.readerRef }, timeoutMs: 60_000 })
    const officialProduced = caller.trigger<Transfer>({ function_id: 'iii.produce', payload: { writer: fromOfficial.writerRef, sizeMiB: 8 }, timeoutMs: 60_000 })
    const [sent, received] = await Promise.all([produceRandom(toOfficial.writer, 8), digestChannel(fromOfficial.reader)])
    expect(await officialDigest).to.deep.equal(sent)
    expect(received).to.deep.equal(await officialProduced)
    expect(received.bytes).to.equal(8 * MiB)
    expect(proxied.sort()).to.deep.equal([toOfficial.readerRef.channel_id, fromOfficial.writerRef.channel_id].sort())
    subscription.unsubscribe()
  })
})
