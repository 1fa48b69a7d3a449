import type { ListedChannel } from '../protocol/engine-functions'
import type { StatusSnapshot } from './status-snapshot'

/** The first 8 characters of an id, as the engine's log lines show it. */
const shortId = (id: string) => id.slice(0, 8)

/** A duration as a person reads it: `850 ms`, `12.3 s`, `4 min 2 s`. */
function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

/** Bytes as a person reads them: `512 B`, `1.5 KiB`, `12.0 MiB`. */
export function bytes(count: number): string {
  if (count < 1024) return `${Math.round(count)} B`
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KiB`
  if (count < 1024 ** 3) return `${(count / 1024 / 1024).toFixed(1)} MiB`
  return `${(count / 1024 ** 3).toFixed(1)} GiB`
}

/** Columns padded to their widest cell, two spaces apart, each line indented by two. */
function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  const line = (cells: readonly string[]) => `  ${cells.map((cell, column) => cell.padEnd(widths[column])).join('  ')}`.trimEnd()
  return [line(header), ...rows.map(line)]
}

/**
 * Bytes per second each way: since `previous` (the last refresh) when the channel was in it, or
 * else on average since the channel was created (a plain snapshot has nothing to compare with).
 */
function rates(channel: ListedChannel, previous: StatusSnapshot | undefined, now: StatusSnapshot): { in: number; out: number } {
  const before = previous?.channels.find((candidate) => candidate.channel_id === channel.channel_id)
  if (before !== undefined && previous !== undefined) {
    const seconds = (Date.parse(now.at) - Date.parse(previous.at)) / 1000
    if (seconds > 0) return { in: (channel.bytes_in - before.bytes_in) / seconds, out: (channel.bytes_out - before.bytes_out) / seconds }
  }
  const seconds = Math.max(channel.age_ms, 1) / 1000
  return { in: channel.bytes_in / seconds, out: channel.bytes_out / seconds }
}

/** The status view as text: totals, then a table of workers and one of channels. */
export function renderStatus(snapshot: StatusSnapshot, previous?: StatusSnapshot): string {
  const { totals } = snapshot
  const lines = [
    `rx-channels engine ${snapshot.engine} at ${snapshot.at}`,
    `workers ${totals.workers}  functions ${totals.functions}  channels ${totals.channels}  held ${totals.held_frames} frames (${bytes(totals.held_bytes)})  paused writers ${totals.paused_writers}`,
    '',
    'WORKERS',
    ...table(
      ['ID', 'NAME', 'FUNCTIONS', 'CONNECTED AT'],
      snapshot.workers.map((worker) => [shortId(worker.worker_id), worker.name ?? '-', String(worker.functions), worker.connected_at]),
    ),
    '',
    'CHANNELS',
    ...table(
      ['ID', 'STATE', 'IN/S', 'OUT/S', 'IN', 'OUT', 'HELD', 'WRITER', 'PAUSED FOR', 'OWNER', 'AGE'],
      snapshot.channels.map((channel) => {
        const rate = rates(channel, previous, snapshot)
        return [
          shortId(channel.channel_id),
          channel.state,
          bytes(rate.in),
          bytes(rate.out),
          bytes(channel.bytes_in),
          bytes(channel.bytes_out),
          `${channel.held_frames} (${bytes(channel.held_bytes)})`,
          channel.writer_paused ? 'paused' : channel.writer.connected ? 'reading' : '-',
          duration(channel.paused_ms),
          channel.owner.name ?? shortId(channel.owner.worker_id),
          duration(channel.age_ms),
        ]
      }),
    ),
  ]
  return `${lines.join('\n')}\n`
}
