import { expect } from 'chai'
import { spawnEngine, spawnTs, type TsProcess } from '../../demos/support/processes'

/** Runs a demo as three processes (engine CLI, callee worker, caller worker) and returns the caller's result. */
async function runDemo(callee: string, caller: string, callerArgs: string[] = []): Promise<unknown> {
  const processes: TsProcess[] = []
  try {
    const { engine, url } = await spawnEngine()
    processes.push(engine)
    const calleeProcess = spawnTs(callee, [url])
    processes.push(calleeProcess)
    await calleeProcess.waitForLine(/^READY/)
    const callerProcess = spawnTs(caller, [url, ...callerArgs])
    processes.push(callerProcess)
    const [, result] = await callerProcess.waitForLine(/^RESULT (.*)$/, 120_000)
    expect((await callerProcess.exited).code).to.equal(0)
    return JSON.parse(result)
  } finally {
    for (const child of processes.reverse()) {
      child.kill()
      await child.exited
    }
  }
}

describe('demos: the iii channel examples across real processes', () => {
  it('one-way: data.sender streams 1000 records to data.processor, which summarizes them', async () => {
    expect(await runDemo('demos/one-way/processor.ts', 'demos/one-way/sender.ts')).to.deep.equal({
      label: 'sensor-batch',
      count: 1000,
      sum: 500500,
      average: 500.5,
    })
  })

  it('bidirectional: stream.coordinator gets progress, completion and a binary result from stream.worker', async () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(10)
    const progress = Array.from({ length: 9 }, (_, index) => ({ type: 'progress', chunks: index + 1, bytes: (index + 1) * 50 }))
    expect(await runDemo('demos/bidirectional/worker.ts', 'demos/bidirectional/coordinator.ts')).to.deep.equal({
      messages: [...progress, { type: 'complete', chunks: 9, bytes: 450 }],
      binaryResult: text.toUpperCase(),
      workerResult: { chunks: 9, bytes: 450, words: 90 },
    })
  })

  it('file transfer: a file crosses intact between processes', async () => {
    const result = (await runDemo('demos/file-transfer/receiver.ts', 'demos/file-transfer/sender.ts', ['--size', '32'])) as Record<string, unknown>
    expect(result).to.include({ bytes: 32 * 1024 * 1024, intact: true })
    expect(result.mibPerSecond).to.be.a('number')
  })

  it('RxJS pipeline: every record crosses two channels and a transform in another process, with progress messages', async () => {
    const result = (await runDemo('demos/pipeline/transformer.ts', 'demos/pipeline/run.ts', ['--size', '8'])) as Record<string, number> & {
      lastReport: Record<string, unknown>
    }
    expect(result.records).to.be.above(100_000)
    expect(result.transformed).to.equal(result.records)
    expect(result.outputLines).to.equal(result.records)
    expect(result.bytesIn).to.be.at.least(8 * 1024 * 1024)
    // One report per 512 KiB of output, and the last one says done with the final counts.
    expect(result.progressReports).to.be.at.least(Math.floor(result.bytesOut / (512 * 1024)))
    expect(result.lastReport).to.deep.equal({ type: 'progress', records: result.records, bytesIn: result.bytesIn, bytesOut: result.bytesOut, done: true })
  })
})
