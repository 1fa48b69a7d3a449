// One channel's throughput: writer -> engine -> reader in three processes, next to a direct
// ws pipe between two processes (the practical limit) and the official client's ends on the
// same engine. Every figure comes from the same run, so the machine's noise is shared.
// The worker processes run twice: at Node's defaults, and with the same old-space floor as
// the engine, which takes V8's heap-size-dependent full GCs out of the comparison (README,
// "Benchmarks").
import { spawnTs } from '../demos/support/processes'
import { ENGINE_NODE_FLAGS } from '../lib/cli/heap-floor'
import { BYTE_RELAY_NAMES, byteRelayKinds, startByteRelay, startScriptRelay, type Relay } from './support/byte-relay'
import { cpuSecondsOf } from './support/cpu'
import { median } from './support/median'
import { bytesOfMiB } from './support/pattern'
import { stopAll, withRelay } from './support/relay'

/** One transfer's rate, and the full GCs its writer and reader processes ran (relayed paths). */
export interface ThroughputRun {
  readonly name: string
  readonly mibPerSecond: number
  readonly bytes: number
  readonly frameBytes: number
  readonly fullGcs?: { readonly writer: number; readonly reader: number }
  readonly cpuPerGiB: CpuPerGiB
}

/** CPU seconds (user + system) each process spent per GiB moved; no engine on the direct pipe. */
export interface CpuPerGiB {
  readonly writer: number
  readonly engine?: number
  readonly reader: number
}

/** A path's rates over several rounds: the median, and the spread as min-max. */
export interface ThroughputResult {
  readonly name: string
  readonly bytes: number
  readonly frameBytes: number
  readonly rounds: number
  readonly medianMiBps: number
  readonly minMiBps: number
  readonly maxMiBps: number
  /** Full GCs per GiB in the writer and the reader process, over all rounds. */
  readonly fullGcsPerGiB?: { readonly writer: number; readonly reader: number }
  /** The median over the rounds of each process's CPU per GiB. */
  readonly cpuPerGiB: CpuPerGiB
}

/** What one transfer moves: `bytes` in `frameBytes` writes. */
export interface Transfer {
  readonly bytes: number
  readonly frameBytes: number
}

function checkMoved(name: string, transfer: Transfer, received: number): void {
  if (received !== transfer.bytes) throw new Error(`${name}: ${received} bytes arrived of the ${transfer.bytes} sent`)
}

async function direct(transfer: Transfer): Promise<ThroughputRun> {
  const name = 'direct ws pipe (no engine)'
  const server = spawnTs('bench/throughput/direct.ts', ['server', String(transfer.bytes)])
  const [, port] = await server.waitForLine(/^PORT (\d+)/)
  const client = spawnTs('bench/throughput/direct.ts', ['client', `ws://127.0.0.1:${port}`, String(transfer.bytes), String(transfer.frameBytes)])
  const [, json] = await server.waitForLine(/^RESULT (.*)$/, 10 * 60_000)
  const [, clientCpu] = await client.waitForLine(/^CPU (\S+)/)
  await stopAll([server, client])
  const { bytes, seconds, cpuSeconds } = JSON.parse(json) as { bytes: number; seconds: number; cpuSeconds: number }
  checkMoved(name, transfer, bytes)
  const gib = bytes / 1024 ** 3
  return { name, bytes, frameBytes: transfer.frameBytes, mibPerSecond: bytes / 1048576 / seconds, cpuPerGiB: { writer: Number(clientCpu) / gib, reader: cpuSeconds / gib } }
}

/** The direct pipe's two ends with a relay process between them, started in front of the server. */
async function throughRelay(name: string, transfer: Transfer, start: (serverPort: number) => Promise<Relay>): Promise<ThroughputRun> {
  const server = spawnTs('bench/throughput/direct.ts', ['server', String(transfer.bytes)])
  const [, serverPort] = await server.waitForLine(/^PORT (\d+)/)
  const { relay, port, cpuSeconds } = await start(Number(serverPort))
  const client = spawnTs('bench/throughput/direct.ts', ['client', `ws://127.0.0.1:${port}`, String(transfer.bytes), String(transfer.frameBytes)])
  const [, json] = await server.waitForLine(/^RESULT (.*)$/, 10 * 60_000)
  const [, clientCpu] = await client.waitForLine(/^CPU (\S+)/)
  const relayCpu = await cpuSeconds()
  await stopAll([server, relay, client])
  const { bytes, seconds, cpuSeconds: serverCpu } = JSON.parse(json) as { bytes: number; seconds: number; cpuSeconds: number }
  checkMoved(name, transfer, bytes)
  const gib = bytes / 1024 ** 3
  return {
    name,
    bytes,
    frameBytes: transfer.frameBytes,
    mibPerSecond: bytes / 1048576 / seconds,
    cpuPerGiB: { writer: Number(clientCpu) / gib, engine: relayCpu / gib, reader: serverCpu / gib },
  }
}

/** A process that only forwards frames (bare-relay.ts): the floor for a ws relay, as the direct pipe is for the ends. */
const bareRelay = (transfer: Transfer) =>
  throughRelay('bare ws relay (a process that only forwards frames)', transfer, (serverPort) =>
    startScriptRelay('bench/throughput/bare-relay.ts', [`ws://127.0.0.1:${serverPort}`]),
  )

/** Relays that forward bytes without parsing a frame: below any ws relay (byte-relay.ts). */
const byteRelays = (transfer: Transfer): Array<() => Promise<ThroughputRun>> =>
  byteRelayKinds().map((kind) => () => throughRelay(BYTE_RELAY_NAMES[kind], transfer, (serverPort) => startByteRelay(kind, serverPort)))

/**
 * One transfer through a fresh engine. The clock starts here, just before the transfer is
 * requested, and stops when the reader has checked the last byte (its hrtime, the machine's
 * monotonic clock, so comparable with this process's).
 */
export async function relayed(
  name: string,
  writerScript: string,
  readerScript: string,
  transfer: Transfer,
  path: 'rx' | 'stream',
  workerFlags: readonly string[] = [],
  readerArgs: readonly string[] = [],
): Promise<ThroughputRun> {
  return withRelay(writerScript, readerScript, async (client, engine) => {
    const channel = await client.createChannel()
    const engineCpuAtStart = cpuSecondsOf(engine.child.pid)
    const started = process.hrtime.bigint()
    const received = client.trigger<{ bytes: number; endNs: number; fullGcs: number; cpuSeconds: number }>({
      function_id: 'bench.receive',
      payload: { reader: channel.readerRef, bytes: transfer.bytes, path },
      timeoutMs: 10 * 60_000,
    })
    const sent = await client.trigger<{ fullGcs: number; cpuSeconds: number }>({
      function_id: 'bench.send',
      payload: { writer: channel.writerRef, bytes: transfer.bytes, frameBytes: transfer.frameBytes, path },
      timeoutMs: 10 * 60_000,
    })
    const { bytes, endNs, fullGcs, cpuSeconds } = await received
    const engineCpuAtEnd = cpuSecondsOf(engine.child.pid)
    checkMoved(name, transfer, bytes)
    const seconds = (endNs - Number(started)) / 1e9
    const gib = bytes / 1024 ** 3
    const engineCpu = engineCpuAtStart !== undefined && engineCpuAtEnd !== undefined ? { engine: (engineCpuAtEnd - engineCpuAtStart) / gib } : {}
    return {
      name,
      bytes,
      frameBytes: transfer.frameBytes,
      mibPerSecond: bytes / 1048576 / seconds,
      fullGcs: { writer: sent.fullGcs, reader: fullGcs },
      cpuPerGiB: { writer: sent.cpuSeconds / gib, ...engineCpu, reader: cpuSeconds / gib },
    }
  }, workerFlags, readerArgs)
}

/** The 1 KiB-writes rows move this share of the 64 KiB rows' size: a million frames at the default 1 GiB. */
const SMALL_WRITES_SHARE = 16

/**
 * Each path `rounds` times, interleaved (A B C D A B C D ...) so that a slow spell of the
 * shared machine hits every path alike; every transfer runs in fresh processes. Then the
 * same for 1 KiB writes (many small frames, where per-frame costs and coalescing show).
 */
export async function throughput(sizeMiB: number, rounds: number): Promise<ThroughputResult[]> {
  const sdk = 'bench/throughput/sdk-worker.ts'
  const iii = 'bench/throughput/iii-worker.ts'
  const floor = ENGINE_NODE_FLAGS
  const large: Transfer = { bytes: bytesOfMiB(sizeMiB), frameBytes: 64 * 1024 }
  const small: Transfer = { bytes: bytesOfMiB(sizeMiB / SMALL_WRITES_SHARE), frameBytes: 1024 }
  const largePaths: Array<() => Promise<ThroughputRun>> = [
    () => direct(large),
    ...byteRelays(large),
    () => bareRelay(large),
    () => relayed('rx-channels, RxJS path (Flow.to -> chunks$)', sdk, sdk, large, 'rx'),
    () => relayed('rx-channels, Node streams (writer.stream -> reader.stream)', sdk, sdk, large, 'stream'),
    () => relayed('rx-channels, RxJS path, reader in credit mode', sdk, sdk, large, 'rx', [], ['credit']),
    () => relayed('rx-channels, Node streams, reader in credit mode', sdk, sdk, large, 'stream', [], ['credit']),
    () => relayed('official iii-sdk ends, same engine', iii, iii, large, 'stream'),
    () => relayed(`rx-channels, RxJS path, workers run with ${floor[0]}`, sdk, sdk, large, 'rx', floor),
    () => relayed(`rx-channels, Node streams, workers run with ${floor[0]}`, sdk, sdk, large, 'stream', floor),
    () => relayed(`official iii-sdk ends, workers run with ${floor[0]}`, iii, iii, large, 'stream', floor),
  ]
  const smallPaths: Array<() => Promise<ThroughputRun>> = [
    () => direct(small),
    ...byteRelays(small),
    () => bareRelay(small),
    () => relayed('rx-channels, RxJS path (Flow.to -> chunks$)', sdk, sdk, small, 'rx'),
    () => relayed('rx-channels, Node streams (writer.stream -> reader.stream)', sdk, sdk, small, 'stream'),
    () => relayed('official iii-sdk ends, same engine', iii, iii, small, 'stream'),
  ]
  return [...(await interleaved(largePaths, rounds)), ...(await interleaved(smallPaths, rounds))]
}

async function interleaved(paths: ReadonlyArray<() => Promise<ThroughputRun>>, rounds: number): Promise<ThroughputResult[]> {
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
    frameBytes: runs[0].frameBytes,
    rounds: runs.length,
    medianMiBps,
    minMiBps: rates[0],
    maxMiBps: rates[rates.length - 1],
    ...(gcs && { fullGcsPerGiB: gcs }),
    cpuPerGiB: medianCpu(runs.map((run) => run.cpuPerGiB)),
  }
}

function medianCpu(runs: readonly CpuPerGiB[]): CpuPerGiB {
  const engines = runs.map((run) => run.engine).filter((engine): engine is number => engine !== undefined)
  return {
    writer: median(runs.map((run) => run.writer)),
    ...(engines.length === runs.length && { engine: median(engines) }),
    reader: median(runs.map((run) => run.reader)),
  }
}

/** One table per transfer size, each against the direct pipe moving the same bytes in the same frames. */
export function formatThroughput(results: readonly ThroughputResult[]): string {
  const tables: ThroughputResult[][] = []
  for (const result of results) {
    const table = tables.find((rows) => rows[0].bytes === result.bytes && rows[0].frameBytes === result.frameBytes)
    if (table) table.push(result)
    else tables.push([result])
  }
  return tables.map(formatTable).join('\n\n')
}

function formatTable(results: readonly ThroughputResult[]): string {
  const limit = results[0].medianMiBps
  const { bytes, frameBytes, rounds } = results[0]
  return [
    `one channel, ${+(bytes / 1048576).toFixed(2)} MiB in ${frameBytes / 1024} KiB writes, every byte checked, clock from the transfer request, median of ${rounds} interleaved rounds`,
    'path | MiB/s (median) | min-max | vs direct ws pipe | full GCs per GiB, writer / reader | CPU s per GiB, writer / engine / reader',
    '--- | --- | --- | --- | --- | ---',
    ...results.map(
      (result) =>
        `${result.name} | ${result.medianMiBps.toFixed(1)} | ${result.minMiBps.toFixed(0)}-${result.maxMiBps.toFixed(0)} | ${((result.medianMiBps / limit) * 100).toFixed(0)} % | ${
          result.fullGcsPerGiB ? `${result.fullGcsPerGiB.writer.toFixed(0)} / ${result.fullGcsPerGiB.reader.toFixed(0)}` : '-'
        } | ${formatCpu(result.cpuPerGiB)}`,
    ),
  ].join('\n')
}

function formatCpu({ writer, engine, reader }: CpuPerGiB): string {
  return `${writer.toFixed(1)} / ${engine === undefined ? '-' : engine.toFixed(1)} / ${reader.toFixed(1)}`
}
