import { expect } from 'chai'
import { lastValueFrom } from 'rxjs'
import { silentLogger, startEngine, type ChannelError, type ChannelWriter, type Engine } from '../../lib'
import { spawnTs, type TsProcess } from '../../demos/support/processes'
import { statsReach } from '../support/engine'
import { useWorkers } from '../support/workers'

/** Writes 64 KiB chunks as fast as the writer takes them until it closes. */
function writeUntilClosed(writer: ChannelWriter): void {
  const chunk = Buffer.alloc(64 * 1024, 7)
  const writeMore = () => {
    while (writer.stream.write(chunk));
    writer.stream.once('drain', writeMore)
  }
  writer.stream.on('error', () => undefined)
  writeMore()
}

// Issue 10 items 1 and 7d: a channel peer that is dead, not slow, is told apart by making no
// progress; before the fix channel sockets were never checked and this writer waited forever.
describe('a dead channel peer across processes', function () {
  this.timeout(30_000)
  const heartbeatMs = 300
  const worker = useWorkers()
  let engine: Engine
  let readerProcess: TsProcess | undefined

  beforeEach(async () => {
    engine = await startEngine({ port: 0, logger: silentLogger, heartbeatMs })
  })

  afterEach(async () => {
    readerProcess?.kill('SIGKILL')
    await readerProcess?.exited
    await engine.close()
  })

  it('drops a reader whose process is stopped (SIGSTOP) within a few heartbeats, releasing its frames and telling its writer why', async () => {
    readerProcess = spawnTs('spec/fixtures/reading-worker.ts', [engine.url])
    await readerProcess.waitForLine(/^READY/)
    const client = await worker(engine.url)
    const { writer, readerRef } = await client.createChannel()
    const outcome = lastValueFrom(writer.closed$, { defaultValue: undefined }).catch((error: ChannelError) => error)
    expect(await client.trigger({ function_id: 'fixture.read', payload: { reader: readerRef } })).to.equal('started')
    writeUntilClosed(writer)
    await readerProcess.waitForLine(/^READING/)
    readerProcess.kill('SIGSTOP')

    const error = await outcome
    expect(error).to.include({ code: 'reader_gone' })
    expect((error as ChannelError).details.closeCode).to.equal(4410)
    expect((error as ChannelError).message).to.match(/reader dropped: no pong, no byte sent or taken in 300 ms/)
    await statsReach(engine, (stats) => stats.channels === 0)
    expect(engine.stats()).to.include({ heldFrames: 0, heldBytes: 0 })
  })
})
