// Aggregate throughput of many concurrent channels: one writer process sends on every channel
// at once, one reader process reads them all, through one engine. The total size is split
// evenly (to the byte), so every row moves the same bytes, each checked by its reader; the
// rate is bytes over the span from the transfers' request to the last byte read on any channel.
import { bytesOfMiB } from './support/pattern'
import { withRelay } from './support/relay'

export interface ChannelsResult {
  readonly channels: number
  readonly bytes: number
  readonly mibPerSecond: number
}

interface Received {
  readonly bytes: number
  readonly endNs: number
}

async function concurrent(channels: number, sizeMiB: number): Promise<ChannelsResult> {
  const script = 'bench/throughput/sdk-worker.ts'
  const total = bytesOfMiB(sizeMiB)
  const share = (index: number) => Math.floor(total / channels) + (index < total % channels ? 1 : 0)
  return withRelay(script, script, async (client) => {
    const created = await Promise.all(Array.from({ length: channels }, () => client.createChannel()))
    const timeoutMs = 10 * 60_000
    const started = process.hrtime.bigint()
    const received = created.map((channel, index) =>
      client.trigger<Received>({ function_id: 'bench.receive', payload: { reader: channel.readerRef, bytes: share(index), path: 'rx' }, timeoutMs }),
    )
    await Promise.all(
      created.map((channel, index) =>
        client.trigger({ function_id: 'bench.send', payload: { writer: channel.writerRef, bytes: share(index), frameBytes: 64 * 1024, path: 'rx' }, timeoutMs }),
      ),
    )
    const results = await Promise.all(received)
    const bytes = results.reduce((sum, result) => sum + result.bytes, 0)
    if (bytes !== total) throw new Error(`${channels} channels: ${bytes} bytes arrived of the ${total} sent`)
    const seconds = (Math.max(...results.map((result) => result.endNs)) - Number(started)) / 1e9
    return { channels, bytes, mibPerSecond: bytes / 1048576 / seconds }
  })
}

/** 1, 16 and 256 channels sharing `sizeMiB`, each in fresh processes. */
export async function aggregateThroughput(sizeMiB: number): Promise<ChannelsResult[]> {
  const results: ChannelsResult[] = []
  for (const channels of [1, 16, 256]) results.push(await concurrent(channels, sizeMiB))
  return results
}

export function formatChannels(results: readonly ChannelsResult[]): string {
  return [
    `aggregate throughput, ${+(results[0].bytes / 1048576).toFixed(2)} MiB split evenly over the channels in 64 KiB writes (RxJS path), every byte checked, clock from the transfers' request`,
    'channels | MiB/s | vs 1 channel',
    '--- | --- | ---',
    ...results.map((result) => `${result.channels} | ${result.mibPerSecond.toFixed(1)} | ${((result.mibPerSecond / results[0].mibPerSecond) * 100).toFixed(0)} %`),
  ].join('\n')
}
