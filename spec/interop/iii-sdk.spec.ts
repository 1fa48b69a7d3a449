import { expect } from 'chai'
import type { ChannelReader, ChannelWriter, WorkerClient } from '../../lib'
import { spawnEngine, spawnTs, type TsProcess } from '../../demos/support/processes'
import { digestChannel, produceRandom, type Transfer } from '../support/transfer'
import { useWorkers } from '../support/workers'

const MiB = 1024 * 1024

/** Lines the engine logs when a frame does not decode or has a type it does not know. */
const DECODE_TROUBLE = /rejected frame|ignored unknown message type/

describe('iii-sdk 0.22.1 workers on the rx-channels engine (engine and workers each their own process)', function () {
  this.timeout(120_000)
  const worker = useWorkers()
  const processes: TsProcess[] = []
  const engines: TsProcess[] = []
  let engine: TsProcess
  let url: string
  let port: number

  const startEngine = async (options: { port?: number } = {}) => {
    const started = await spawnEngine({ logLevel: 'debug', ...options })
    processes.push(started.engine)
    engines.push(started.engine)
    ;({ engine, url, port } = started)
  }

  const peer = async (name: string) => {
    const child = spawnTs('spec/fixtures/iii-peer.ts', [url, name])
    processes.push(child)
    await child.waitForLine(/^READY/)
    return child
  }

  beforeEach(async () => startEngine())

  afterEach(async () => {
    for (const child of processes.splice(0).reverse()) {
      child.kill('SIGKILL')
      await child.exited
    }
    // Everything the official clients sent decoded: no frame was rejected or ignored.
    for (const child of engines.splice(0)) expect(child.stderr()).not.to.match(DECODE_TROUBLE)
  })

  it('lets an official worker trigger another through our engine, awaited and fire-and-forget', async () => {
    await peer('a')
    await peer('b')
    const ours = await worker(url)
    expect(await ours.trigger({ function_id: 'a.call', payload: { function_id: 'b.echo', payload: { n: 1 } } })).to.deep.equal({
      ok: true,
      result: { from: 'b', input: { n: 1 } },
    })
    const note = ours.trigger({ function_id: 'b.nextNote', payload: {} })
    expect(
      await ours.trigger({ function_id: 'a.call', payload: { function_id: 'b.notify', payload: { note: 'hi' }, fireAndForget: true } }),
    ).to.deep.equal({ ok: true, result: null })
    expect(await note).to.deep.equal({ note: 'hi' })
  })

  it('shows an official caller the errors an iii engine would: function_not_found, invocation_failed', async () => {
    await peer('a')
    await peer('b')
    const ours = await worker(url)
    const call = (function_id: string) => ours.trigger<Record<string, unknown>>({ function_id: 'a.call', payload: { function_id, payload: {} } })
    expect(await call('missing.fn')).to.deep.include({ ok: false, name: 'InvocationError', code: 'function_not_found' })
    const failed = await call('b.fail')
    expect(failed).to.deep.include({ ok: false, name: 'InvocationError', code: 'invocation_failed' })
    expect(failed.message).to.contain('b failed on purpose')
  })

  for (const [title, callee, caller, expected] of [
    [
      'one-way records',
      'demos/iii-sdk/one-way-processor.ts',
      'demos/iii-sdk/one-way-sender.ts',
      { label: 'sensor-batch', count: 1000, sum: 500500, average: 500.5 },
    ],
    [
      'bidirectional with progress',
      'demos/iii-sdk/bidirectional-worker.ts',
      'demos/iii-sdk/bidirectional-coordinator.ts',
      {
        messages: [
          ...Array.from({ length: 9 }, (_, index) => ({ type: 'progress', chunks: index + 1, bytes: (index + 1) * 50 })),
          { type: 'complete', chunks: 9, bytes: 450 },
        ],
        binaryResult: 'The quick brown fox jumps over the lazy dog. '.repeat(10).toUpperCase(),
        workerResult: { chunks: 9, bytes: 450, words: 90 },
      },
    ],
  ] as const) {
    it(`runs the iii channel doc example "${title}" written with iii-sdk, with the exact result`, async () => {
      const calleeProcess = spawnTs(callee, [url])
      processes.push(calleeProcess)
      await calleeProcess.waitForLine(/^READY/)
      const callerProcess = spawnTs(caller, [url])
      processes.push(callerProcess)
      const [, result] = await callerProcess.waitForLine(/^RESULT (.*)$/)
      expect(JSON.parse(result)).to.deep.equal(expected)
    })
  }

  it('mixes clients: our SDK creates channels, an official worker reads one and writes the other (64 MiB each)', async () => {
    await peer('iii')
    const ours = await worker(url)
    const toOfficial = await ours.createChannel()
    const fromOfficial = await ours.createChannel()
    const officialDigest = ours.trigger<Transfer>({ function_id: 'iii.digest', payload: { reader: toOfficial.readerRef }, timeoutMs: 120_000 })
    const officialProduced = ours.trigger<Transfer>({
      function_id: 'iii.produce',
      payload: { writer: fromOfficial.writerRef, sizeMiB: 64 },
      timeoutMs: 120_000,
    })
    const [sent, received] = await Promise.all([produceRandom(toOfficial.writer, 64), digestChannel(fromOfficial.reader)])
    expect(await officialDigest).to.deep.equal(sent)
    expect(received).to.deep.equal(await officialProduced)
    expect(received.bytes).to.equal(64 * MiB)
  })

  it('mixes clients: an official worker creates channels, our worker reads one and writes the other (64 MiB each)', async () => {
    await peer('iii')
    const ours: WorkerClient = await worker(url)
    ours.registerFunction('rx.digest', ({ reader }: { reader: ChannelReader }) => digestChannel(reader))
    ours.registerFunction('rx.produce', ({ writer, sizeMiB }: { writer: ChannelWriter; sizeMiB: number }) => produceRandom(writer, sizeMiB))
    await ours.ready()
    const outcome = await ours.trigger<Record<'sent' | 'peerDigest' | 'peerProduced' | 'received', Transfer>>({
      function_id: 'iii.roundtrip',
      payload: { peer: 'rx', sizeMiB: 64 },
      timeoutMs: 120_000,
    })
    expect(outcome.peerDigest).to.deep.equal(outcome.sent)
    expect(outcome.received).to.deep.equal(outcome.peerProduced)
    expect(outcome.received.bytes).to.equal(64 * MiB)
  })

  it('answers an enqueue action as an iii engine without a queue worker does: enqueue_error', async () => {
    await peer('a')
    const ours = await worker(url)
    const queued = await ours.trigger<Record<string, unknown>>({ function_id: 'a.echo', payload: {}, action: { type: 'enqueue', queue: 'jobs' } }).catch((error: Error) => error)
    expect(queued).to.include({ code: 'enqueue_error' })
  })

  it('official workers reconnect by themselves after the engine process restarts on the same port', async () => {
    const a = await peer('a')
    const b = await peer('b')
    const ours = await worker(url)
    engine.kill('SIGTERM')
    expect((await engine.exited).code).to.equal(0)
    const linesBefore = [a.lineCount(), b.lineCount()]
    await startEngine({ port })
    // Each client prints this on every workerregistered; the engine logs each registration it takes in.
    await a.waitForLine(/Worker registered with ID/, 30_000, { since: linesBefore[0] })
    await b.waitForLine(/Worker registered with ID/, 30_000, { since: linesBefore[1] })
    await engine.waitForLine(/registered function a\.roundtrip/, 30_000, { stream: 'stderr' })
    await engine.waitForLine(/registered function b\.roundtrip/, 30_000, { stream: 'stderr' })
    await ours.ready()
    expect(await ours.trigger({ function_id: 'a.call', payload: { function_id: 'b.echo', payload: 'again' } })).to.deep.equal({
      ok: true,
      result: { from: 'b', input: 'again' },
    })
    const roundtrip = await ours.trigger<Record<string, Transfer>>({ function_id: 'a.roundtrip', payload: { peer: 'b', sizeMiB: 2 } })
    expect(roundtrip.peerDigest).to.deep.equal(roundtrip.sent)
    expect(roundtrip.received).to.deep.equal(roundtrip.peerProduced)
  })

  it('never drops a healthy official worker: 65 s idle, past the client\'s 60 s idle limit', async function () {
    this.timeout(150_000)
    const idle = await peer('idle')
    const ours = await worker(url)
    // Idle time is what is under test: the client's pings and the engine's pongs must keep it alive.
    await new Promise((resolve) => setTimeout(resolve, 65_000))
    expect(await ours.trigger({ function_id: 'idle.echo', payload: 'still here' })).to.deep.equal({ from: 'idle', input: 'still here' })
    expect(idle.stdout().match(/Worker registered with ID/g)).to.have.length(1)
    expect(`${idle.stdout()}\n${idle.stderr()}`).not.to.match(/No inbound data|Reconnecting/)
    expect(engine.stderr()).not.to.match(/disconnected/)
  })
})
