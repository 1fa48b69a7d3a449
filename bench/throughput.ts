// One channel's throughput: writer -> engine -> reader in three processes, next to a direct
// ws pipe between two processes (the practical limit) and the official client's ends on the
// same engine. Every figure comes from the same run, so the machine's noise is shared.
import { spawnTs } from '../demos/support/processes'
import { stopAll, withRelay } from './support/relay'

/** One transfer's rate. */
export interface ThroughputRun {
  readonly name: string
  readonly mibPerSecond: number
  readonly bytes: number
}

/** A path's rates over several rounds: the median, and the spread as min-max. */
export interface ThroughputResult {
  readonly name: string
  readonly bytes: number
  readonly rounds: number
  readonly medianMiBps: number
  readonly minMiBps: number
  readonly maxMiBps: number
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

export async function relayed(name: string, writerScript: string, readerScript: string, sizeMiB: number, path: 'rx' | 'stream'): Promise<ThroughputRun> {
  return withRelay(writerScript, readerScript, async (client) => {
    const channel = await client.createChannel()
    const received = client.trigger<{ bytes: number; seconds: number }>({
      function_id: 'bench.receive',
      payload: { reader: channel.readerRef, path },
      timeoutMs: 10 * 60_000,
    })
    await client.trigger({ function_id: 'bench.send', payload: { writer: channel.writerRef, sizeMiB, path }, timeoutMs: 10 * 60_000 })
    const { bytes, seconds } = await received
    return { name, bytes, mibPerSecond: bytes / 1048576 / seconds }
  })
}

/**
 * Each path `rounds` times, interleaved (A B C D A B C D ...) so that a slow spell of the
 * shared machine hits every path alike; every transfer runs in fresh processes.
 */
export async function throughput(sizeMiB: number, rounds: number): Promise<ThroughputResult[]> {
  const sdk = 'bench/throughput/sdk-worker.ts'
  const iii = 'bench/throughput/iii-worker.ts'
  const paths: Array<() => Promise<ThroughputRun>> = [
    () => direct(sizeMiB),
    () => relayed('rx-channels, RxJS path (Flow.to -> chunks$)', sdk, sdk, sizeMiB, 'rx'),
    () => relayed('rx-channels, Node streams (writer.stream -> reader.stream)', sdk, sdk, sizeMiB, 'stream'),
    () => relayed('official iii-sdk ends, same engine', iii, iii, sizeMiB, 'stream'),
  ]
  const runs: ThroughputRun[][] = paths.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (const [index, path] of paths.entries()) runs[index].push(await path())
  }
  return runs.map(summarize)
}

export function summarize(runs: readonly ThroughputRun[]): ThroughputResult {
  const rates = runs.map((run) => run.mibPerSecond).sort((a, b) => a - b)
  const middle = rates.length >> 1
  const medianMiBps = rates.length % 2 === 1 ? rates[middle] : (rates[middle - 1] + rates[middle]) / 2
  return { name: runs[0].name, bytes: runs[0].bytes, rounds: runs.length, medianMiBps, minMiBps: rates[0], maxMiBps: rates[rates.length - 1] }
}

export function formatThroughput(results: readonly ThroughputResult[]): string {
  const limit = results[0].medianMiBps
  return [
    `one channel, ${Math.round(results[0].bytes / 1048576)} MiB in 64 KiB frames, median of ${results[0].rounds} interleaved rounds`,
    'path | MiB/s (median) | min-max | vs direct ws pipe',
    '--- | --- | --- | ---',
    ...results.map(
      (result) =>
        `${result.name} | ${result.medianMiBps.toFixed(1)} | ${result.minMiBps.toFixed(0)}-${result.maxMiBps.toFixed(0)} | ${((result.medianMiBps / limit) * 100).toFixed(0)} %`,
    ),
  ].join('\n')
}
