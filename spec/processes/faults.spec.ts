import { expect } from 'chai'
import { lastValueFrom, tap, toArray } from 'rxjs'
import { ChannelError, InvocationError, type WorkerClient } from '../../lib'
import { spawnEngine, spawnTs, type TsProcess } from '../../demos/support/processes'
import { useWorkers } from '../support/workers'

describe('faults across processes (engine, workers and this process each their own OS process)', () => {
  const worker = useWorkers()
  const processes: TsProcess[] = []
  let url: string
  let engine: TsProcess
  let client: WorkerClient

  beforeEach(async () => {
    ;({ engine, url } = await spawnEngine())
    processes.push(engine)
    client = await worker(url)
  })

  afterEach(async () => {
    for (const child of processes.splice(0).reverse()) {
      child.kill('SIGKILL')
      await child.exited
    }
  })

  const start = async (script: string) => {
    const child = spawnTs(script, [url])
    processes.push(child)
    await child.waitForLine(/^READY/)
    return child
  }

  it('fails the caller with invocation_stopped as soon as the callee process is killed mid-invocation', async () => {
    const callee = await start('spec/fixtures/hanging-worker.ts')
    const outcome = client.trigger({ function_id: 'fixture.hang', timeoutMs: 10 * 60_000 }).catch((error: InvocationError) => error)
    await callee.waitForLine(/^STARTED/)
    callee.kill('SIGKILL')
    const error = await outcome
    expect(error).to.be.instanceOf(InvocationError)
    expect(error).to.include({ code: 'invocation_stopped' })
  })

  it('makes reader.chunks$ error, not complete, when the writer process is killed mid-stream', async () => {
    const writerProcess = await start('spec/fixtures/endless-writer.ts')
    const { reader, writerRef } = await client.createChannel()
    let streaming!: () => void
    const firstChunk = new Promise<void>((resolve) => (streaming = resolve))
    const outcome = lastValueFrom(reader.chunks$.pipe(tap(() => streaming()), toArray())).then(
      (chunks) => `completed after ${chunks.length} chunks`,
      (error: ChannelError) => error,
    )
    expect(await client.trigger({ function_id: 'fixture.write', payload: { writer: writerRef } })).to.equal('started')
    // Killed only once its data reaches the reader: killed before its socket is up, the writer
    // would never have connected, and the reader would rightly wait for the channel's TTL.
    await firstChunk
    writerProcess.kill('SIGKILL')
    const error = await outcome
    expect(error).to.be.instanceOf(ChannelError)
    expect(error).to.include({ code: 'writer_aborted' })
    expect((error as ChannelError).details.closeCode).to.equal(1011)
  })

  it('fails pending triggers with connection_lost at once when the engine process dies', async () => {
    const callee = await start('spec/fixtures/hanging-worker.ts')
    const outcome = client.trigger({ function_id: 'fixture.hang', timeoutMs: 10 * 60_000 }).catch((error: InvocationError) => error)
    await callee.waitForLine(/^STARTED/)
    engine.kill('SIGKILL')
    expect(await outcome).to.include({ code: 'connection_lost' })
  })
})
