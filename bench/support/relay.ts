import { registerWorker, silentLogger, type WorkerClient } from '../../lib'
import { spawnTs, type TsProcess } from '../../demos/support/processes'
import { spawnEngineProcess } from './spawn-engine'

/** SIGINT first, so that a process run with `node --cpu-prof` exits normally and writes its profile. */
export async function stopAll(processes: TsProcess[]): Promise<void> {
  for (const child of processes) child.kill('SIGINT')
  const timer = setTimeout(() => processes.forEach((child) => child.kill('SIGKILL')), 5_000)
  await Promise.all(processes.map((child) => child.exited))
  clearTimeout(timer)
}

/**
 * Extra node flags for every reader process, to see inside one without editing the bench:
 * `BENCH_READER_NODE_FLAGS='--trace-gc --trace-gc-verbose' npm run bench -- --only throughput`.
 * Its output is then copied to this process's, each line after `reader| `.
 */
const traceFlags = (process.env.BENCH_READER_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '')

/**
 * Runs `work` against a fresh relay: an engine process, a `send` worker and a `receive`
 * worker, each its own process (started with `workerFlags`; the reader's also given
 * `readerArgs`), and a client in this one; `work` is given the client and the engine's process.
 * Everything stops afterwards.
 */
export async function withRelay<T>(
  writerScript: string,
  readerScript: string,
  work: (client: WorkerClient, engine: TsProcess) => Promise<T>,
  workerFlags: readonly string[] = [],
  readerArgs: readonly string[] = [],
): Promise<T> {
  const { engine, url } = await spawnEngineProcess()
  const writer = spawnTs(writerScript, [url, 'send'], { nodeFlags: workerFlags })
  const reader = spawnTs(readerScript, [url, 'receive', ...readerArgs], { nodeFlags: [...workerFlags, ...traceFlags], ...(traceFlags.length > 0 && { echo: 'reader| ' }) })
  await Promise.all([writer.waitForLine(/^READY/), reader.waitForLine(/^READY/)])
  const client = registerWorker(url, { logger: silentLogger })
  try {
    await client.ready()
    return await work(client, engine)
  } finally {
    await client.shutdown()
    await stopAll([writer, reader, engine])
  }
}
