// Engine memory: per connected worker, per open idle channel (both ends connected), and the
// time and memory to create 10,000 channels. The engine collects garbage before each sample,
// and the load comes from a client process of its own; each figure runs in fresh processes.
import { spawnTs, type TsProcess } from '../demos/support/processes'
import { stopAll } from './support/relay'
import { spawnEngineProcess } from './support/spawn-engine'

export interface MemoryResult {
  readonly name: string
  readonly count: number
  readonly seconds: number
  /** RSS growth of the engine per unit, in bytes. */
  readonly rssPerUnit: number
  /** V8 heap plus external memory growth per unit, in bytes: less noisy than RSS. */
  readonly heapPerUnit: number
}

async function sample(engine: TsProcess): Promise<{ rss: number; heap: number }> {
  const since = engine.lineCount()
  engine.kill('SIGUSR2')
  const [, json] = await engine.waitForLine(/^MEM (.*)$/, 30_000, { since })
  return JSON.parse(json) as { rss: number; heap: number }
}

async function measure(name: string, task: 'workers' | 'idle' | 'create', count: number): Promise<MemoryResult> {
  const { engine, url } = await spawnEngineProcess('bench/memory/engine.ts')
  const processes = [engine]
  try {
    const before = await sample(engine)
    const client = spawnTs('bench/memory/client.ts', [url, task, String(count)])
    processes.push(client)
    const [, json] = await client.waitForLine(/^DONE (.*)$/, 5 * 60_000)
    const after = await sample(engine)
    const { seconds } = JSON.parse(json) as { seconds: number }
    return { name, count, seconds, rssPerUnit: (after.rss - before.rss) / count, heapPerUnit: (after.heap - before.heap) / count }
  } finally {
    await stopAll(processes)
  }
}

export async function memory(): Promise<MemoryResult[]> {
  return [
    await measure('connected worker', 'workers', 200),
    await measure('open idle channel (both ends connected)', 'idle', 1000),
    await measure('created channel (10,000 created, ends not connected)', 'create', 10_000),
  ]
}

export function formatMemory(results: readonly MemoryResult[]): string {
  const kib = (bytes: number) => (bytes / 1024).toFixed(1)
  return [
    'engine memory (garbage collected before each sample)',
    'per | count | engine RSS KiB each | engine heap+external KiB each | client took s',
    '--- | --- | --- | --- | ---',
    ...results.map((result) => `${result.name} | ${result.count} | ${kib(result.rssPerUnit)} | ${kib(result.heapPerUnit)} | ${result.seconds.toFixed(2)}`),
  ].join('\n')
}
