// Cluster: three engine processes on a Redis of the bench's own, and in one run, side by side:
// (a) one channel's throughput with writer and reader on the channel's home node against a
// channel created on a, written from b and read on c (both ends proxied); (b) invocation round
// trips from a caller on a to a handler on a against one on b; (c) the aggregate throughput of
// N channels through one engine against the same channels spread over two. Rounds interleave
// the rows, each figure is the median of its rounds, and every transfer's bytes are checked
// (SHA-256 of index-stamped frames). The cluster is started once for the whole run.
import { spawnTs } from '../demos/support/processes'
import { startBenchCluster, type BenchCluster, type WorkerName } from './cluster/nodes'
import { median } from './support/median'

export interface ClusterOptions {
  /** MiB per transfer in (a); (c) moves twice this over its channels. */
  readonly sizeMiB: number
  readonly rounds: number
  /** Round trips per invocation run, after 200 for warm-up. */
  readonly calls: number
  /** Channels in (c). */
  readonly channels: number
}

export const DEFAULT_CLUSTER: Omit<ClusterOptions, 'rounds'> = { sizeMiB: 128, calls: 2000, channels: 8 }

interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
}

export interface ClusterResult {
  readonly options: ClusterOptions
  readonly channel: ReadonlyArray<{ readonly path: string; readonly mibPerSecond: Spread }>
  readonly invocations: ReadonlyArray<{ readonly path: string; readonly p50Ms: number; readonly p99Ms: number }>
  readonly aggregate: ReadonlyArray<{ readonly engines: number; readonly mibPerSecond: Spread }>
}

interface Digest {
  readonly bytes: number
  readonly sha256: string
}

/** One transfer per channel, all at once; MiB/s over the span from the first request to the last end read. Fails on any byte amiss. */
async function transfers(
  cluster: BenchCluster,
  lanes: ReadonlyArray<{ readonly creator: 'a' | 'b'; readonly writer: WorkerName; readonly reader: WorkerName }>,
  sizeMiB: number,
): Promise<number> {
  const channels = await Promise.all(lanes.map((lane) => cluster.clients[lane.creator].createChannel()))
  const timeoutMs = 10 * 60_000
  const started = process.hrtime.bigint()
  const results = await Promise.all(
    lanes.map((lane, index) => {
      const client = cluster.clients[lane.creator]
      const { readerRef, writerRef } = channels[index]
      return Promise.all([
        client.trigger<Digest>({ function_id: `bench.send.${lane.writer}`, payload: { writer: writerRef, sizeMiB }, timeoutMs }),
        client.trigger<Digest>({ function_id: `bench.receive.${lane.reader}`, payload: { reader: readerRef }, timeoutMs }),
      ])
    }),
  )
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  for (const [sent, received] of results) {
    if (received.bytes !== sent.bytes || received.sha256 !== sent.sha256) throw new Error(`a transfer arrived damaged: sent ${JSON.stringify(sent)}, received ${JSON.stringify(received)}`)
  }
  return (lanes.length * sizeMiB) / seconds
}

async function roundTrips(cluster: BenchCluster, functionId: string, calls: number): Promise<{ p50Us: number; p99Us: number }> {
  const caller = cluster.started.worker(spawnTs('bench/cluster/caller.ts', [cluster.engines.a.url, functionId, String(calls)]))
  const [, json] = await caller.waitForLine(/^RESULT (.*)$/, 5 * 60_000)
  await caller.exited
  return JSON.parse(json) as { p50Us: number; p99Us: number }
}

function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) }
}

export async function clusterBench(options: ClusterOptions): Promise<ClusterResult> {
  const cluster = await startBenchCluster()
  try {
    const half = options.channels / 2
    const lanes = (count: number, creator: 'a' | 'b', writer: WorkerName, reader: WorkerName) => Array.from({ length: count }, () => ({ creator, writer, reader }))
    const channelRows = [
      { path: 'same node: created on a, written and read on a', lanes: lanes(1, 'a', 'a1', 'a2') },
      { path: 'across nodes: created on a, written from b, read on c', lanes: lanes(1, 'a', 'b1', 'c1') },
    ].map((row) => ({ ...row, rates: [] as number[] }))
    const callRows = [
      { path: 'same node: caller and handler on a', functionId: 'bench.echo.a1' },
      { path: 'across nodes: caller on a, handler on b', functionId: 'bench.echo.b1' },
    ].map((row) => ({ ...row, p50: [] as number[], p99: [] as number[] }))
    // The same four worker processes' worth of ends either way: only the engines under them differ.
    const aggregateRows = [
      { engines: 1, lanes: [...lanes(half, 'a', 'a1', 'a2'), ...lanes(half, 'a', 'a3', 'a4')] },
      { engines: 2, lanes: [...lanes(half, 'a', 'a1', 'a2'), ...lanes(half, 'b', 'b1', 'b2')] },
    ].map((row) => ({ ...row, rates: [] as number[] }))
    const aggregateMiB = (options.sizeMiB * 2) / options.channels
    // Untimed, so that the first measured round does not pay for the processes' JIT warm-up alone.
    for (const row of [...channelRows, ...aggregateRows]) await transfers(cluster, row.lanes, 8)
    for (let round = 0; round < options.rounds; round++) {
      for (const row of channelRows) row.rates.push(await transfers(cluster, row.lanes, options.sizeMiB))
      for (const row of callRows) {
        const { p50Us, p99Us } = await roundTrips(cluster, row.functionId, options.calls)
        row.p50.push(p50Us / 1000)
        row.p99.push(p99Us / 1000)
      }
      for (const row of aggregateRows) row.rates.push(await transfers(cluster, row.lanes, aggregateMiB))
    }
    return {
      options,
      channel: channelRows.map(({ path, rates }) => ({ path, mibPerSecond: spread(rates) })),
      invocations: callRows.map(({ path, p50, p99 }) => ({ path, p50Ms: median(p50), p99Ms: median(p99) })),
      aggregate: aggregateRows.map(({ engines, rates }) => ({ engines, mibPerSecond: spread(rates) })),
    }
  } finally {
    await cluster.stop()
  }
}

const ratio = (value: number, base: number) => `${((value / base) * 100).toFixed(0)} %`
const rate = ({ median: middle, min, max }: Spread) => `${middle.toFixed(1)} | ${min.toFixed(0)}-${max.toFixed(0)}`

export function formatCluster({ options, channel, invocations, aggregate }: ClusterResult): string {
  return [
    `cluster: three engines on one Redis; one channel, ${options.sizeMiB} MiB in 64 KiB frames, SHA-256 checked, clock from the transfer request; median of ${options.rounds} interleaved rounds`,
    'path | MiB/s (median) | min-max | vs same node',
    '--- | --- | --- | ---',
    ...channel.map((row) => `${row.path} | ${rate(row.mibPerSecond)} | ${ratio(row.mibPerSecond.median, channel[0].mibPerSecond.median)}`),
    '',
    `invocation round trips, one at a time, ${options.calls} per run after 200 for warm-up, caller in its own process; medians of ${options.rounds} rounds`,
    'path | p50 ms | p99 ms | p50 vs same node',
    '--- | --- | --- | ---',
    ...invocations.map((row) => `${row.path} | ${row.p50Ms.toFixed(3)} | ${row.p99Ms.toFixed(3)} | ${(row.p50Ms / invocations[0].p50Ms).toFixed(1)}x`),
    '',
    `aggregate: ${options.channels} channels, ${options.sizeMiB * 2} MiB in all, four worker processes (two writers, two readers) either way`,
    'engines | MiB/s (median) | min-max | vs one engine',
    '--- | --- | --- | ---',
    ...aggregate.map((row) => `${row.engines === 1 ? `1 (every channel on a)` : `2 (half on a, half on b, each with its own writer and reader)`} | ${rate(row.mibPerSecond)} | ${ratio(row.mibPerSecond.median, aggregate[0].mibPerSecond.median)}`),
  ].join('\n')
}
