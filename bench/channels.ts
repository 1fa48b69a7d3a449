// Aggregate throughput of many concurrent channels: one writer process sends on every channel
// at once, one reader process reads them all, through one engine. The total size is split
// evenly (to the byte), so every row moves the same bytes, each checked by its reader; the
// rate is bytes over the span from the transfers' request to the last byte read on any channel.
import { cpuSecondsOf } from './support/cpu'
import { bytesOfMiB } from './support/pattern'
import { withRelay } from './support/relay'
import { summarize, type ThroughputResult, type ThroughputRun } from './throughput'

export interface ChannelsResult {
  readonly channels: number
  readonly bytes: number
  readonly mibPerSecond: number
  /** Seconds from the transfers' request until every channel had its first bytes: how long opening the ends took. */
  readonly allFlowingSeconds: number
}

/** What one channel's receiving or sending call reports (see bench/throughput/sdk-worker.ts). */
interface EndReport {
  readonly fullGcs: number
  readonly cpuSeconds: number
}

interface Received extends EndReport {
  readonly bytes: number
  readonly firstByteNs: number
  readonly endNs: number
}

const SDK_WORKER = 'bench/throughput/sdk-worker.ts'
const III_WORKER = 'bench/throughput/iii-worker.ts'

/**
 * `channels` transfers at once through a fresh engine, `sizeMiB` split evenly over them, in
 * 64 KiB writes, writer and reader processes running `script`. Each call counts the full GCs
 * and CPU of its process over its own span; the spans all but coincide, so a process's figure
 * is the largest any of its calls saw (a sum would count each GC once per channel).
 */
async function concurrent(name: string, script: string, channels: number, sizeMiB: number, path: 'rx' | 'stream'): Promise<ThroughputRun & { allFlowingSeconds: number }> {
  const total = bytesOfMiB(sizeMiB)
  const share = (index: number) => Math.floor(total / channels) + (index < total % channels ? 1 : 0)
  return withRelay(script, script, async (client, engine) => {
    const created = await Promise.all(Array.from({ length: channels }, () => client.createChannel()))
    const timeoutMs = 10 * 60_000
    const engineCpuAtStart = cpuSecondsOf(engine.child.pid)
    const started = process.hrtime.bigint()
    const received = created.map((channel, index) =>
      client.trigger<Received>({ function_id: 'bench.receive', payload: { reader: channel.readerRef, bytes: share(index), path }, timeoutMs }),
    )
    const sent = await Promise.all(
      created.map((channel, index) =>
        client.trigger<EndReport>({ function_id: 'bench.send', payload: { writer: channel.writerRef, bytes: share(index), frameBytes: 64 * 1024, path }, timeoutMs }),
      ),
    )
    const results = await Promise.all(received)
    const engineCpuAtEnd = cpuSecondsOf(engine.child.pid)
    const bytes = results.reduce((sum, result) => sum + result.bytes, 0)
    if (bytes !== total) throw new Error(`${name}, ${channels} channels: ${bytes} bytes arrived of the ${total} sent`)
    const seconds = (Math.max(...results.map((result) => result.endNs)) - Number(started)) / 1e9
    const allFlowingSeconds = (Math.max(...results.map((result) => result.firstByteNs)) - Number(started)) / 1e9
    const gib = bytes / 1024 ** 3
    const most = (reports: readonly EndReport[], key: keyof EndReport) => Math.max(...reports.map((report) => report[key]))
    const engineCpu = engineCpuAtStart !== undefined && engineCpuAtEnd !== undefined ? { engine: (engineCpuAtEnd - engineCpuAtStart) / gib } : {}
    return {
      name,
      bytes,
      frameBytes: 64 * 1024,
      mibPerSecond: bytes / 1048576 / seconds,
      fullGcs: { writer: most(sent, 'fullGcs'), reader: most(results, 'fullGcs') },
      cpuPerGiB: { writer: most(sent, 'cpuSeconds') / gib, ...engineCpu, reader: most(results, 'cpuSeconds') / gib },
      allFlowingSeconds,
    }
  })
}

/** 1, 16 and 256 channels sharing `sizeMiB` on our RxJS path, each in fresh processes. */
export async function aggregateThroughput(sizeMiB: number): Promise<ChannelsResult[]> {
  const results: ChannelsResult[] = []
  for (const channels of [1, 16, 256]) {
    const run = await concurrent('rx-channels, RxJS path', SDK_WORKER, channels, sizeMiB, 'rx')
    results.push({ channels, bytes: run.bytes, mibPerSecond: run.mibPerSecond, allFlowingSeconds: run.allFlowingSeconds })
  }
  return results
}

/** The channel count of the rows that set our ends against the official ones. */
export const VERSUS_CHANNELS = 16

/**
 * Our RxJS path, our Node streams and the official iii-sdk ends, each on {@link VERSUS_CHANNELS}
 * concurrent channels sharing `sizeMiB`, `rounds` times interleaved (A B C A B C ...) so that a
 * slow spell of the shared machine hits every path alike; every transfer runs in fresh processes.
 */
export async function channelsVersusOfficial(sizeMiB: number, rounds: number): Promise<ThroughputResult[]> {
  const paths: Array<() => Promise<ThroughputRun>> = [
    () => concurrent('rx-channels, RxJS path (Flow.to -> chunks$)', SDK_WORKER, VERSUS_CHANNELS, sizeMiB, 'rx'),
    () => concurrent('rx-channels, Node streams (writer.stream -> reader.stream)', SDK_WORKER, VERSUS_CHANNELS, sizeMiB, 'stream'),
    () => concurrent('official iii-sdk ends, same engine', III_WORKER, VERSUS_CHANNELS, sizeMiB, 'stream'),
  ]
  const runs: ThroughputRun[][] = paths.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (const [index, path] of paths.entries()) runs[index].push(await path())
  }
  return runs.map(summarize)
}

export function formatChannels(results: readonly ChannelsResult[]): string {
  return [
    `aggregate throughput, ${+(results[0].bytes / 1048576).toFixed(2)} MiB split evenly over the channels in 64 KiB writes (RxJS path), every byte checked, clock from the transfers' request`,
    'channels | MiB/s | vs 1 channel | every channel flowing after, s',
    '--- | --- | --- | ---',
    ...results.map(
      (result) =>
        `${result.channels} | ${result.mibPerSecond.toFixed(1)} | ${((result.mibPerSecond / results[0].mibPerSecond) * 100).toFixed(0)} % | ${result.allFlowingSeconds.toFixed(3)}`,
    ),
  ].join('\n')
}

/** The versus rows, each against the official ends (the last row). */
export function formatChannelsVersus(results: readonly ThroughputResult[]): string {
  const official = results[results.length - 1].medianMiBps
  const { bytes, rounds } = results[0]
  return [
    `${VERSUS_CHANNELS} concurrent channels, ${+(bytes / 1048576).toFixed(2)} MiB split evenly over them in 64 KiB writes, one writer and one reader process, every byte checked, clock from the transfers' request, median of ${rounds} interleaved rounds`,
    'path | MiB/s (median) | min-max | vs official ends | full GCs per GiB, writer / reader | CPU s per GiB, writer / engine / reader',
    '--- | --- | --- | --- | --- | ---',
    ...results.map(
      (result) =>
        `${result.name} | ${result.medianMiBps.toFixed(1)} | ${result.minMiBps.toFixed(0)}-${result.maxMiBps.toFixed(0)} | ${((result.medianMiBps / official) * 100).toFixed(0)} % | ${
          result.fullGcsPerGiB ? `${result.fullGcsPerGiB.writer.toFixed(0)} / ${result.fullGcsPerGiB.reader.toFixed(0)}` : '-'
        } | ${result.cpuPerGiB.writer.toFixed(1)} / ${result.cpuPerGiB.engine === undefined ? '-' : result.cpuPerGiB.engine.toFixed(1)} / ${result.cpuPerGiB.reader.toFixed(1)}`,
    ),
  ].join('\n')
}
