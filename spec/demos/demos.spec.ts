import { expect } from 'chai'
import { connect } from 'net'
import { spawnEngine, spawnTs, type TsProcess } from '../../demos/support/processes'
import { requireRedisServer } from '../support/redis'

/**
 * Runs a demo as three processes (engine CLI, callee worker, caller worker) and returns the
 * caller's result and stderr. With `announce`, the part of the callee's READY line it picks
 * goes to the caller after the engine's address, as `npm start` passes it.
 */
async function runDemo(callee: string, caller: string, callerArgs: string[] = [], announce?: RegExp): Promise<{ result: unknown; stderr: string }> {
  const processes: TsProcess[] = []
  try {
    const { engine, url } = await spawnEngine()
    processes.push(engine)
    const calleeProcess = spawnTs(callee, [url])
    processes.push(calleeProcess)
    const ready = (await calleeProcess.waitForLine(/^READY/)).input ?? ''
    const announced = announce ? [ready.match(announce)?.[1] ?? 'nothing announced'] : []
    const callerProcess = spawnTs(caller, [url, ...announced, ...callerArgs])
    processes.push(callerProcess)
    const [, result] = await callerProcess.waitForLine(/^RESULT (.*)$/, 120_000)
    expect((await callerProcess.exited).code).to.equal(0)
    return { result: JSON.parse(result), stderr: callerProcess.stderr() }
  } finally {
    for (const child of processes.reverse()) await child.stop()
  }
}

describe('demos: the iii channel examples across real processes', () => {
  it('one-way: data.sender streams 1000 records to data.processor, which summarizes them', async () => {
    expect((await runDemo('demos/one-way/processor.ts', 'demos/one-way/sender.ts')).result).to.deep.equal({
      label: 'sensor-batch',
      count: 1000,
      sum: 500500,
      average: 500.5,
    })
  })

  it('bidirectional: stream.coordinator gets progress, completion and a binary result from stream.worker', async () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(10)
    const progress = Array.from({ length: 9 }, (_, index) => ({ type: 'progress', chunks: index + 1, bytes: (index + 1) * 50 }))
    expect((await runDemo('demos/bidirectional/worker.ts', 'demos/bidirectional/coordinator.ts')).result).to.deep.equal({
      messages: [...progress, { type: 'complete', chunks: 9, bytes: 450 }],
      binaryResult: text.toUpperCase(),
      workerResult: { chunks: 9, bytes: 450, words: 90 },
    })
  })

  it('file transfer: a file crosses intact between processes, the sender reporting progress at each quarter', async () => {
    const { result, stderr } = await runDemo('demos/file-transfer/receiver.ts', 'demos/file-transfer/sender.ts', ['--size', '32'])
    expect(result).to.have.keys('bytes', 'intact', 'seconds', 'mibPerSecond')
    expect(result).to.include({ bytes: 32 * 1024 * 1024, intact: true })
    // Its stderr is a pipe, not a terminal: plain lines instead of a bar.
    expect(stderr.split('\n')).to.deep.equal([
      'progress  25% 8.0/32.0 MiB, sent',
      'progress  50% 16.0/32.0 MiB, sent',
      'progress  75% 24.0/32.0 MiB, sent',
      'progress 100% 32.0/32.0 MiB, sent',
    ])
  })

  it('RxJS pipeline: every record crosses two channels and a transform in another process, with progress messages', async () => {
    const { result, stderr } = await runDemo('demos/pipeline/transformer.ts', 'demos/pipeline/run.ts', ['--size', '8'])
    const counts = result as Record<string, number> & { lastReport: Record<string, unknown> }
    expect(counts.records).to.be.above(100_000)
    expect(counts.transformed).to.equal(counts.records)
    expect(counts.outputLines).to.equal(counts.records)
    expect(counts.bytesIn).to.be.at.least(8 * 1024 * 1024)
    // One report per 512 KiB of output, and the last one says done with the final counts.
    expect(counts.progressReports).to.be.at.least(Math.floor(counts.bytesOut / (512 * 1024)))
    expect(counts.lastReport).to.deep.equal({ type: 'progress', records: counts.records, bytesIn: counts.bytesIn, bytesOut: counts.bytesOut, done: true })
    // Progress messages come every 512 KiB, so each quarter's line shows the first report past it.
    const quarters = stderr.split('\n').map((line) => Math.floor(Number(line.match(/^progress +(\d+)% /)?.[1]) / 25))
    expect(quarters).to.deep.equal([1, 2, 3, 4])
  })

  it('browser: the page and rx-channels/browser are served, and the functions the page calls hash a file with progress and generate a stream', async () => {
    const { result } = await runDemo('demos/browser/server.ts', 'demos/browser/check.ts', ['--size', '8'], /page at (\S+)/)
    expect(result).to.deep.equal({ pageServed: true, uploaded: 8 * 1024 * 1024, intact: true, progressMessages: 9, downloaded: 8 * 1024 * 1024 })
  })
})

/** Whether something accepts connections on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

describe('demos: the cluster demo (its own redis-server and three engine processes)', function () {
  this.timeout(90_000)
  before(function () {
    requireRedisServer(this)
  })

  it('calls across nodes, carries a transfer a -> b -> c intact, reports each outcome of killing node b, and stops its Redis', async () => {
    const run = spawnTs('demos/cluster/run.ts', ['--size', '8'])
    try {
      const [, port] = await run.waitForLine(/^NOTE redis-server on 127\.0\.0\.1:(\d+)/)
      const [, json] = await run.waitForLine(/^RESULT (.*)$/, 60_000)
      expect(await run.exited).to.deep.equal({ code: 0, signal: null })
      const { where, shout, transfer, killed } = JSON.parse(json)
      expect({ where, shout }).to.deep.equal({ where: 'b', shout: 'HELLO FROM A' })
      expect(transfer).to.include({ bytes: 8 * 1024 * 1024, intact: true })
      expect(killed).to.include({ channel: 'writer_aborted', movedTo: 'c' })
      expect(killed.calls).to.deep.equal(['invocation_stopped', 'invocation_stopped', 'invocation_stopped', 'invocation_stopped'])
      // Stopped by node b's expiry (TTL 2 s), not by the calls' own 60 s timeout.
      expect(killed.stoppedAfterMs).to.be.below(30_000)
      expect(run.stdout().split('\n').filter((line) => line.startsWith('NOTE '))).to.have.length(8)
      expect(await listening(Number(port))).to.equal(false)
    } finally {
      await run.stop()
    }
  })
})
