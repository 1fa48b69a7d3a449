import { expect } from 'chai'
import { pipeline } from 'stream/promises'
import type { WorkerClient } from '../../lib'
import { spawnEngine, type TsProcess } from '../../demos/support/processes'
import { pacedSink, writeRandom, writeRandomAtOnce } from '../support/paced'
import { useWorkers } from '../support/workers'

const KiB = 1024
const MiB = 1024 * KiB

// Issue 10 item 1. Before the fix, ws's absolute 30 s close timeout cut both transfers: the
// engine destroyed the slow reader's socket 30 s after queueing its close frame (the reader
// failed at 36 s), and the writer's own socket destroyed itself 30 s after its end while the
// engine held it back (the writer failed at 30.3 s). Both take longer than 30 s by nature
// (they are paced); they run side by side to keep the suite short.
//
// The writer's case writes 20 MiB at once and ends, read at 256 KiB/s: on this machine's
// loopback (tcp_rmem up to 32 MiB) about 8 MiB fit between the engine and a slow reader, so
// the 10 MiB at 128 KiB/s had its close read by the engine at 16 s and passed before
// the fix too; this one queues the close behind 48 s of reading, and takes as long (80 s).
describe('slow peers across processes (engine in its own process, default heartbeat)', function () {
  this.timeout(240_000)
  const worker = useWorkers()
  let engine: TsProcess
  let client: WorkerClient

  beforeEach(async () => {
    let url: string
    ;({ engine, url } = await spawnEngine())
    client = await worker(url)
  })

  afterEach(async () => {
    engine.kill('SIGKILL')
    await engine.exited
  })

  it('a slow reader gets all of a cleanly ended stream, and a held-back writer’s end() resolves, however long the drain', async () => {
    /** 'whole' when the reader took exactly what the writer sent and both ended cleanly, else what went wrong. */
    const transfer = async (bufferSize: number | undefined, sizeMiB: number, bytesPerSecond: number, write: typeof writeRandom) => {
      const { writer, reader } = await client.createChannel(bufferSize)
      const sink = pacedSink(bytesPerSecond)
      try {
        const [sent] = await Promise.all([write(writer, sizeMiB), pipeline(reader.stream, sink)])
        const taken = await sink.taken
        return taken.sha256 === sent.sha256 ? 'whole' : `${taken.bytes} of ${sent.bytes} bytes, SHA-256 differs`
      } catch (error) {
        return `failed: ${String(error)}`
      }
    }
    const outcomes = await Promise.all([transfer(1024, 60, MiB, writeRandom), transfer(undefined, 20, 256 * KiB, writeRandomAtOnce)])
    expect({ '60 MiB read at 1 MiB/s': outcomes[0], '20 MiB written at once, read at 256 KiB/s': outcomes[1] }).to.deep.equal({
      '60 MiB read at 1 MiB/s': 'whole',
      '20 MiB written at once, read at 256 KiB/s': 'whole',
    })
  })
})
