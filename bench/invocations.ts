// Invocation round trips per second (trigger -> handler -> result) through one engine: a
// caller process and a handler process, both on our SDK or both on the official client,
// with 1 and 64 triggers in flight; and ours again with the engine exporting a span per
// invocation (otlpEndpoint) to a stand-in collector in this process. Each run uses fresh
// processes for a fixed time; rounds interleave the rows, and each figure is the median of its rounds.
import { spawnTs } from '../demos/support/processes'
import { median } from './support/median'
import { startOtlpSink } from './support/otlp-sink'
import { stopAll } from './support/relay'
import { spawnEngineProcess } from './support/spawn-engine'

export interface InvocationsResult {
  readonly client: 'rx-channels' | 'iii-sdk'
  /** Whether the engine exported a span per invocation. */
  readonly spans: boolean
  readonly inFlight: number
  readonly perSecond: number
  /** With spans: the spans the collector received, and those the engine dropped past its queue, per second of the run. */
  readonly spansPerSecond?: { readonly received: number; readonly dropped: number }
}

type Row = Pick<InvocationsResult, 'client' | 'spans' | 'inFlight'>

async function roundTrips({ client, spans, inFlight }: Row, seconds: number): Promise<InvocationsResult> {
  const script = client === 'rx-channels' ? 'bench/invocations/sdk-worker.ts' : 'bench/invocations/iii-worker.ts'
  const collector = spans ? await startOtlpSink() : undefined
  const { engine, url } = await spawnEngineProcess(undefined, collector ? ['--otlp-endpoint', collector.url] : [])
  const handler = spawnTs(script, [url, 'handle'])
  try {
    await handler.waitForLine(/^READY/)
    const caller = spawnTs(script, [url, 'call', String(inFlight), String(seconds)])
    const [, json] = await caller.waitForLine(/^RESULT (.*)$/, seconds * 1000 + 30_000)
    const received = collector?.spans() ?? 0
    await stopAll([caller])
    const { calls, seconds: took } = JSON.parse(json) as { calls: number; seconds: number }
    const spansPerSecond = collector ? { received: received / took, dropped: (await droppedSpans(url)) / took } : undefined
    return { client, spans, inFlight, perSecond: calls / took, ...(spansPerSecond && { spansPerSecond }) }
  } finally {
    await stopAll([handler, engine])
    await collector?.close()
  }
}

/** The engine's count of spans it dropped because 2048 waited for the collector already, from its /metrics. */
async function droppedSpans(engineUrl: string): Promise<number> {
  const scrape = await (await fetch(`${engineUrl.replace(/^ws/, 'http')}/metrics`)).text()
  const line = /^rx_channels_otlp_engine_spans_total\{[^}]*outcome="queue_full"[^}]*\} (\S+)$/m.exec(scrape)
  return line ? Number(line[1]) : 0
}

/** Ours, the official client, and ours with engine spans, interleaved, with 1 and 64 in flight: the median of `rounds` runs each. */
export async function invocations(seconds: number, rounds: number): Promise<InvocationsResult[]> {
  const rows = [1, 64].flatMap((inFlight) =>
    [
      { client: 'rx-channels', spans: false },
      { client: 'iii-sdk', spans: false },
      { client: 'rx-channels', spans: true },
    ].map((row) => ({ ...(row as Pick<Row, 'client' | 'spans'>), inFlight, runs: [] as InvocationsResult[] })),
  )
  for (let round = 0; round < rounds; round++) {
    for (const row of rows) row.runs.push(await roundTrips(row, seconds))
  }
  return rows.map(({ client, spans, inFlight, runs }) => {
    const withSpans = runs.flatMap((run) => (run.spansPerSecond ? [run.spansPerSecond] : []))
    return {
      client,
      spans,
      inFlight,
      perSecond: median(runs.map((run) => run.perSecond)),
      ...(withSpans.length > 0 && {
        spansPerSecond: { received: median(withSpans.map((run) => run.received)), dropped: median(withSpans.map((run) => run.dropped)) },
      }),
    }
  })
}

export function formatInvocations(results: readonly InvocationsResult[]): string {
  const find = (inFlight: number, client: InvocationsResult['client'], spans: boolean) =>
    results.find((result) => result.inFlight === inFlight && result.client === client && result.spans === spans)
  return [
    'invocation round trips through the engine (caller and handler in their own processes), median of interleaved rounds',
    'in flight | rx-channels /s | official iii-sdk /s | ours vs official',
    '--- | --- | --- | ---',
    ...[1, 64].map((inFlight) => {
      const [ours, theirs] = [find(inFlight, 'rx-channels', false), find(inFlight, 'iii-sdk', false)]
      if (!ours || !theirs) return `${inFlight} | - | - | -`
      return `${inFlight} | ${ours.perSecond.toFixed(0)} | ${theirs.perSecond.toFixed(0)} | ${((ours.perSecond / theirs.perSecond) * 100).toFixed(0)} %`
    }),
    '',
    'the same on our SDK with the engine exporting a span per invocation (otlpEndpoint; the collector a stand-in in the bench process that answers at once)',
    'in flight | without spans /s | with spans /s | with vs without | spans the collector received /s | spans dropped, queue full /s',
    '--- | --- | --- | --- | --- | ---',
    ...[1, 64].map((inFlight) => {
      const [without, traced] = [find(inFlight, 'rx-channels', false), find(inFlight, 'rx-channels', true)]
      if (!without || !traced?.spansPerSecond) return `${inFlight} | - | - | - | - | -`
      const { received, dropped } = traced.spansPerSecond
      return `${inFlight} | ${without.perSecond.toFixed(0)} | ${traced.perSecond.toFixed(0)} | ${((traced.perSecond / without.perSecond) * 100).toFixed(0)} % | ${received.toFixed(0)} | ${dropped.toFixed(0)}`
    }),
  ].join('\n')
}
