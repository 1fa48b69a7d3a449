// Slow reader: a writer offers SIZE MiB as fast as it can to a reader that consumes RATE MiB/s,
// each in its own process with the engine in a third. Reports each process's peak RSS above
// idle, for the demand-driven way (Flow.to) and, side by side, the naive push subscription.
import { registerWorker, silentLogger } from '../lib'
import { spawnTs, type TsProcess } from '../demos/support/processes'
import { spawnEngineProcess } from './support/spawn-engine'

interface Rss {
  readonly idleMiB: number
  readonly peakMiB: number
  readonly growthMiB: number
}

export interface SlowReaderResult {
  readonly mode: 'pull' | 'push'
  readonly sizeMiB: number
  readonly rateMiBps: number
  readonly outcome: string
  readonly rss: Record<'writer' | 'engine' | 'reader', Rss>
}

async function rssOf(child: TsProcess): Promise<Rss> {
  const since = child.lineCount()
  child.kill('SIGTERM')
  const [, json] = await child.waitForLine(/^RSS (.*)$/, 10_000, { since })
  await child.exited
  return JSON.parse(json) as Rss
}

export async function slowReader(mode: 'pull' | 'push', sizeMiB: number, rateMiBps: number, pushSeconds: number): Promise<SlowReaderResult> {
  const { engine, url } = await spawnEngineProcess()
  const writer = spawnTs('bench/slow-reader/writer.ts', [url])
  const reader = spawnTs('bench/slow-reader/reader.ts', [url])
  await Promise.all([writer.waitForLine(/^READY/), reader.waitForLine(/^READY/)])
  const client = registerWorker(url, { logger: silentLogger })
  let outcome: string
  try {
    await client.ready()
    const channel = await client.createChannel()
    const read = client.trigger<{ bytes: number; sha256: string; seconds: number }>({
      function_id: 'bench.read',
      payload: { reader: channel.readerRef, rateMiBps },
      timeoutMs: 60 * 60_000,
    })
    await client.trigger({ function_id: 'bench.write', payload: { writer: channel.writerRef, sizeMiB, mode } })
    if (mode === 'pull') {
      const received = await read
      const [, wrote] = await writer.waitForLine(/^WROTE (.*)$/)
      const intact = received.bytes === sizeMiB * 1024 * 1024 && received.sha256 === (JSON.parse(wrote) as { sha256?: string }).sha256
      outcome = `${intact ? 'intact' : 'CORRUPT'}, ${received.bytes / 1024 / 1024} MiB in ${received.seconds.toFixed(1)} s`
    } else {
      read.catch(() => undefined)
      await writer.waitForLine(/^WROTE/)
      // The naive writer has queued everything; watch the processes while the reader drains slowly.
      await new Promise((resolve) => setTimeout(resolve, pushSeconds * 1000))
      outcome = `stopped after ${pushSeconds} s of draining`
    }
  } finally {
    await client.shutdown()
  }
  const [writerRss, readerRss, engineRss] = await Promise.all([rssOf(writer), rssOf(reader), rssOf(engine)])
  return { mode, sizeMiB, rateMiBps, outcome, rss: { writer: writerRss, engine: engineRss, reader: readerRss } }
}

export function formatSlowReader(results: readonly SlowReaderResult[]): string {
  const rows = results.map((result) =>
    [
      result.mode === 'pull' ? 'Flow.to(writer.chunks)' : 'naive subscribe(writer.chunks)',
      ...(['writer', 'engine', 'reader'] as const).map((end) => `${result.rss[end].growthMiB} MiB`),
      result.outcome,
    ].join(' | '),
  )
  return [
    `slow reader: ${results[0]?.sizeMiB} MiB offered at full speed, read at ${results[0]?.rateMiBps} MiB/s; peak RSS above idle`,
    'writer side | writer | engine | reader | outcome',
    '--- | --- | --- | --- | ---',
    ...rows,
  ].join('\n')
}
