import { expect } from 'chai'
import net from 'net'
import { firstValueFrom, lastValueFrom, race, timer } from 'rxjs'
import { ChannelError, InvocationError, type WorkerClient } from '../../lib'
import { spawnEngine, type TsProcess } from '../../demos/support/processes'
import { useWorkers } from '../support/workers'

/**
 * A channel in flight between two ends in this process: the writer writes 64 KiB chunks as
 * fast as the engine takes them, the reader reads them. Both outcomes resolve with the error
 * their end failed with, or 'completed'.
 */
async function streamInFlight(client: WorkerClient) {
  const { writer, reader } = await client.createChannel()
  let firstChunk = () => undefined as void
  const flowing = new Promise<void>((resolve) => (firstChunk = resolve))
  const readerOutcome = new Promise<ChannelError | 'completed'>((resolve) =>
    reader.chunks$.subscribe({ next: () => firstChunk(), error: resolve, complete: () => resolve('completed') }),
  )
  const writerOutcome = lastValueFrom(writer.closed$, { defaultValue: undefined }).then(
    () => 'completed' as const,
    (error: ChannelError) => error,
  )
  let ended = false
  void writerOutcome.then(() => (ended = true))
  const chunk = Buffer.alloc(64 * 1024, 7)
  void (async () => {
    while (!ended) {
      writer.write(chunk)
      // Waits for credit while saturated; otherwise yields, so the loop never starves the event loop.
      if (writer.saturated) await firstValueFrom(race(writer.chunks.drain$, writer.closed$)).catch(() => undefined)
      else await firstValueFrom(timer(0))
    }
  })()
  await flowing
  return { readerOutcome, writerOutcome }
}

const connectionRefused = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
  })

describe('engine restart and shutdown (the engine CLI as its own process)', () => {
  const worker = useWorkers()
  const engines: TsProcess[] = []

  afterEach(async () => {
    for (const engine of engines.splice(0)) {
      engine.kill('SIGKILL')
      await engine.exited
    }
  })

  const startEngine = async (port?: number) => {
    const started = await spawnEngine({ port })
    engines.push(started.engine)
    return started
  }

  it('SIGKILL mid-stream: both channel ends fail at once; workers reconnect to the new engine, replay registrations and work again', async () => {
    const { engine, url, port } = await startEngine()
    const callee = await worker(url)
    callee.registerFunction('restart.echo', (input: unknown) => ({ echoed: input }))
    await callee.ready()
    const caller = await worker(url)
    expect(await caller.trigger({ function_id: 'restart.echo', payload: 1 })).to.deep.equal({ echoed: 1 })
    const { readerOutcome, writerOutcome } = await streamInFlight(caller)

    engine.kill('SIGKILL')
    for (const outcome of [await readerOutcome, await writerOutcome]) {
      expect(outcome).to.be.instanceOf(ChannelError)
      expect(outcome).to.include({ code: 'channel_closed' })
      expect((outcome as ChannelError).details.closeCode).to.equal(1006)
      expect((outcome as ChannelError).message).to.contain('connection to the engine was lost')
    }

    await startEngine(port)
    await Promise.all([callee.ready(), caller.ready()])
    expect(await caller.trigger({ function_id: 'restart.echo', payload: 2 })).to.deep.equal({ echoed: 2 })
    const { writer, reader } = await caller.createChannel()
    writer.stream.end(Buffer.from('after the restart'))
    expect((await reader.readAll()).toString()).to.equal('after the restart')
  })

  it('SIGTERM mid-stream and mid-invocation: the caller and both channel ends get engine_shutting_down, the port stops accepting, exit code 0', async () => {
    const { engine, url, port } = await startEngine()
    const callee = await worker(url)
    let started = () => undefined as void
    const running = new Promise<void>((resolve) => (started = resolve))
    callee.registerFunction('shutdown.hang', () => {
      started()
      return new Promise(() => undefined)
    })
    await callee.ready()
    const caller = await worker(url)
    const invocation = caller.trigger({ function_id: 'shutdown.hang', timeoutMs: 60_000 }).catch((error: InvocationError) => error)
    await running
    const { readerOutcome, writerOutcome } = await streamInFlight(caller)

    engine.kill('SIGTERM')
    const failed = await invocation
    expect(failed).to.be.instanceOf(InvocationError)
    expect(failed).to.include({ code: 'engine_shutting_down', function_id: 'shutdown.hang' })
    expect((failed as InvocationError).message).to.contain('engine shutting down')
    for (const outcome of [await readerOutcome, await writerOutcome]) {
      expect(outcome).to.be.instanceOf(ChannelError)
      expect(outcome).to.include({ code: 'engine_shutting_down' })
      expect((outcome as ChannelError).details.closeCode).to.equal(1001)
    }
    // The listening socket closed before anything in flight was failed.
    expect(await connectionRefused(port)).to.equal('ECONNREFUSED')
    expect(await engine.exited).to.deep.equal({ code: 0, signal: null })
  })
})
