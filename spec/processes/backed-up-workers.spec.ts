import { expect } from 'chai'
import { readFileSync } from 'fs'
import { get } from 'http'
import type { EngineStats } from '../../lib'
import { ENGINE_NODE_FLAGS } from '../../lib/cli/heap-floor'
import { spawnTs, type TsProcess } from '../../demos/support/processes'
import { healthyTraffic } from '../support/healthy-traffic'
import { useWorkers } from '../support/workers'

const MiB = 1024 * 1024
const LIMIT_FLAGS = ['--max-queued-bytes-per-worker', String(MiB), '--worker-drain-grace-ms', '1500', '--max-message-bytes', String(2 * MiB)]
/** What the engine may queue per worker with those flags: the limit plus one message. */
const QUEUE_BOUND = 3 * MiB
/**
 * The engine's resident memory must stay under this. It starts at about 70 MB; without a bound
 * on worker queues it grew by the producer's whole rate (tens of MB per second) until it died.
 */
const RSS_BOUND = 256 * MiB

function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) * 1024 : 0
}

function health(url: string): Promise<EngineStats> {
  return new Promise((resolve, reject) => {
    get(`${url.replace(/^ws/, 'http')}/health`, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (part: string) => (body += part))
      response.on('end', () => resolve(JSON.parse(body) as EngineStats))
    }).on('error', reject)
  })
}

// Regression (issue 10, item 2): worker sockets had no outgoing bound. A frozen consumer of
// fire-and-forget calls, or a caller that stopped reading its results, grew the engine until
// V8 ran out of memory (SIGABRT after about 40 s).
describe('workers that stop reading, with the engine in its own process', function () {
  this.timeout(60_000)
  const worker = useWorkers()
  const processes: TsProcess[] = []
  let engine: TsProcess
  let url: string
  let peakRss = 0
  let peakQueued = 0
  let sampler: NodeJS.Timeout | undefined

  beforeEach(async () => {
    // Started with the engine's heap floor, so that it stays in this one process whose memory is measured.
    engine = spawnTs('lib/cli/main.ts', ['engine', '--port', '0', '--log-level', 'warn', ...LIMIT_FLAGS], { nodeFlags: ENGINE_NODE_FLAGS })
    processes.push(engine)
    ;[url] = await engine.waitForLine(/ws:\/\/\S+/)
    peakRss = 0
    peakQueued = 0
    // A measurement taken all along, not a wait: it never decides when the test moves on.
    sampler = setInterval(() => {
      peakRss = Math.max(peakRss, residentBytes(engine.child.pid as number))
      health(url).then((stats) => (peakQueued = Math.max(peakQueued, stats.queuedBytes)), () => undefined)
    }, 50)
  })

  afterEach(async () => {
    clearInterval(sampler)
    for (const child of processes.splice(0).reverse()) {
      child.kill('SIGKILL')
      await child.exited
    }
  })

  const start = (script: string) => {
    const child = spawnTs(script, [url])
    processes.push(child)
    return child
  }

  it('drops a consumer frozen with SIGSTOP while a producer floods it with 64 KiB fire-and-forget calls; memory stays bounded and a healthy worker keeps working', async () => {
    const consumer = start('spec/fixtures/idle-consumer.ts')
    await consumer.waitForLine(/^READY/)
    const healthy = healthyTraffic(await worker(url), await worker(url))
    try {
      await healthy.roundsReach(1)
      consumer.kill('SIGSTOP')
      const since = engine.lineCount('stderr')
      await start('spec/fixtures/fire-and-forget-producer.ts').waitForLine(/^READY/)

      // Log lines name a worker as `NAME (SHORT-ID)`, or its short id before it gave a name.
      const [, backedUpId] = await engine.waitForLine(/worker (.+) is backed up: \d+ bytes queued/, 20_000, { stream: 'stderr', since })
      await healthy.roundsReach(healthy.state.rounds + 1)
      const [, droppedId] = await engine.waitForLine(/worker (.+) dropped with 4429: backed up: \d+ bytes unread after 1500 ms/, 20_000, { stream: 'stderr', since })
      expect(droppedId).to.equal(backedUpId)
      await healthy.roundsReach(healthy.state.rounds + 2)
    } finally {
      await healthy.stop()
    }
    const stats = await health(url)
    // The producer and the two healthy workers remain; the producer's calls since are refused and counted.
    expect(stats.workers).to.equal(3)
    expect(stats.shedInvocations).to.be.greaterThan(0)
    expect(peakQueued, 'bytes queued to workers').to.be.at.most(QUEUE_BOUND)
    expect(peakRss, 'engine RSS').to.be.below(RSS_BOUND)
  })

  it('drops a caller that stops reading while its 1 MiB results pile up; the engine survives and a healthy worker keeps working', async () => {
    const callee = await worker(url)
    callee.registerFunction('fixture.megabyte', () => 'm'.repeat(MiB))
    await callee.ready()
    const healthy = healthyTraffic(await worker(url), await worker(url))
    try {
      await healthy.roundsReach(1)
      const since = engine.lineCount('stderr')
      const [, callerId] = await start('spec/fixtures/stalled-caller.ts').waitForLine(/^WORKER (\S+)/)
      await engine.waitForLine(new RegExp(`worker (.+ \\()?${callerId.slice(0, 8)}\\)? dropped with 4429: backed up`), 20_000, { stream: 'stderr', since })
      await healthy.roundsReach(healthy.state.rounds + 2)
    } finally {
      await healthy.stop()
    }
    const stats = await health(url)
    expect(stats).to.include({ workers: 3, pendingInvocations: 0 })
    expect(peakQueued, 'bytes queued to workers').to.be.at.most(QUEUE_BOUND)
    expect(peakRss, 'engine RSS').to.be.below(RSS_BOUND)
  })
})
