// One channel's throughput: writer -> engine -> reader in three processes, next to a direct
// ws pipe between two processes (the practical limit) and the official client's ends on the
// same engine. Every figure comes from the same run, so the machine's noise is shared.
// The worker processes run twice: at Node's defaults, and with the same old-space floor as
// the engine, which takes V8's heap-size-dependent full GCs out of the comparison (README,
// "Benchmarks").
import { spawnTs } from '../demos/support/processes'
import { ENGINE_NODE_FLAGS } from '../lib/cli/heap-floor'
import { median } from './support/median'
import { stopAll, withRelay } from './support/relay'

/** One transfer's rate, and the full GCs its writer and reader processes ran (relayed paths). */
export interface ThroughputRun {
  readonly name: string
  readonly mibPerSecond: number
  readonly bytes: number
  readonly fullGcs?: { readonly writer: number; readonly reader: number }
}

/** A path's rates over several rounds: the median, and the spread as min-max. */
export interface ThroughputResult {
  readonly name: string
  readonly bytes: number
  readonly rounds: number
  readonly medianMiBps: number
  readonly minMiBps: number
  readonly maxMiBps: number
  /** Full GCs per GiB in the writer and the reader process, over all rounds. */
  readonly fullGcsPerGiB?: { readonly writer: number; readonly reader: number }
}

async function direct(sizeMiB: number): Promise<ThroughputRun> {
  const server = spawnTs('bench/throughput/direct.ts', ['server'])
  const [, port] = await server.waitForLine(/^PORT (\d+)/)
  const client = spawnTs('bench/throughput/direct.ts', ['client', `ws://127.0.0.1:${port}`, String(sizeMiB)])
  const [, json] = await server.waitForLine(/^RESULT (.*)$/, 10 * 60_000)
  await stopAll([server, client])
  const { bytes, seconds } = JSON.parse(json) as { bytes: number; seconds: number }
  return { name: 'direct ws pipe (no engine)', bytes, mibPerSecond: bytes / 1048576 / seconds }
}

export async function relayed(
  name: string,
  writerScript: string,
  readerScript: string,
  sizeMiB: number,
  path: 'rx' | 'stream',
  workerFlags: readonly string[] = [],
  readerArgs: readonly string[] = [],
): Promise<ThroughputRun> {
  return withRelay(writerScript, readerScript, async (client) => {
    const channel = await client.createChannel()
    const received = client.trigger<{ bytes: number; seconds: number; fullGcs: number }>({
      function_id: 'bench.receive',
      payload: { reader: channel.readerRef, path },
      timeoutMs: 10 * 60_000,
    })
    const sent = await client.trigger<{ fullGcs: number }>({
      function_id: 'bench.send',
      payload: { writer: channel.writerRef, sizeMiB, path },
      timeoutMs: 10 * 60_000,
    })
    const { bytes, seconds, fullGcs } = await received
    return { name, bytes, mibPerSecond: bytes / 1048576 / seconds, fullGcs: { writer: sent.fullGcs, reader: fullGcs } }
  }, workerFlags, readerArgs)
}

/**
 * Each path `rounds` times, interleaved (A B C D A B C D ...) so that a slow spell of the
 * shared machine hits every path alike; every transfer runs in fresh processes.
 */
export async function throughput(sizeMiB: number, rounds: number): Promise<ThroughputResult[]> {
  const sdk = 'bench/throughput/sdk-worker.ts'
  const iii = 'bench/throughput/iii-worker.ts'
  const floor = ENGINE_NODE_FLAGS
  const paths: Array<() => Promise<ThroughputRun>> = [
    () => direct(sizeMiB),
    () => relayed('rx-channels, RxJS path (Flow.to -> chunks$)', sdk, sdk, sizeMiB, 'rx'),
    () => relayed('rx-channels, Node streams (writer.stream -> reader.stream)', sdk, sdk, sizeMiB, 'stream'),
    () => relayed('rx-channels, RxJS path, reader in credit mode', sdk, sdk, sizeMiB, 'rx', [], ['credit']),
    () => relayed('rx-channels, Node streams, reader in credit mode', sdk, sdk, sizeMiB, 'stream', [], ['credit']),
    () => relayed('official iii-sdk ends, same engine', iii, iii, sizeMiB, 'stream'),
    () => relayed(`rx-channels, RxJS path, workers run with ${floor[0]}`, sdk, sdk, sizeMiB, 'rx', floor),
    () => relayed(`rx-channels, Node streams, workers run with ${floor[0]}`, sdk, sdk, sizeMiB, 'stream', floor),
    () => relayed(`official iii-sdk ends, workers run with ${floor[0]}`, iii, iii, sizeMiB, 'stream', floor),
  ]
  const runs: ThroughputRun[][] = paths.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (const [index, path] of paths.entries()) runs[index].push(await path())
  }
  return runs.map(summarize)
}

export function summarize(runs: readonly ThroughputRun[]): ThroughputResult {
  const rates = runs.map((run) => run.mibPerSecond).sort((a, b) => a - b)
  const medianMiBps = median(rates)
  const gibs = runs.reduce((sum, run) => sum + run.bytes, 0) / 1024 ** 3
  const gcs = runs.every((run) => run.fullGcs !== undefined)
    ? {
        writer: runs.reduce((sum, run) => sum + (run.fullGcs?.writer ?? 0), 0) / gibs,
        reader: runs.reduce((sum, run) => sum + (run.fullGcs?.reader ?? 0), 0) / gibs,
      }
    : undefined
  return {
    name: runs[0].name,
    bytes: runs[0].bytes,
    rounds: runs.length,
    medianMiBps,
    minMiBps: rates[0],
    maxMiBps: rates[rates.length - 1],
    ...(gcs && { fullGcsPerGiB: gcs }),
  }
}

export function formatThroughput(results: readonly ThroughputResult[]): string {
  const limit = results[0].medianMiBps
  return [
    `one channel, ${Math.round(results[0].bytes / 1048576)} MiB in 64 KiB frames, median of ${results[0].rounds} interleaved rounds`,
    'path | MiB/s (median) | min-max | vs direct ws pipe | full GCs per GiB, writer / reader',
    '--- | --- | --- | --- | ---',
    ...results.map(
      (result) =>
        `${result.name} | ${result.medianMiBps.toFixed(1)} | ${result.minMiBps.toFixed(0)}-${result.maxMiBps.toFixed(0)} | ${((result.medianMiBps / limit) * 100).toFixed(0)} % | ${
          result.fullGcsPerGiB ? `${result.fullGcsPerGiB.writer.toFixed(0)} / ${result.fullGcsPerGiB.reader.toFixed(0)}` : '-'
        }`,
    ),
  ].join('\n')
}
