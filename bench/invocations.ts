// Invocation round trips per second (trigger -> handler -> result) through one engine: a
// caller process and a handler process, both on our SDK or both on the official client,
// with 1 and 64 triggers in flight. Each run uses fresh processes for a fixed time; rounds
// interleave ours and theirs, and each figure is the median of its rounds.
import { spawnTs } from '../demos/support/processes'
import { median } from './support/median'
import { stopAll } from './support/relay'
import { spawnEngineProcess } from './support/spawn-engine'

export interface InvocationsResult {
  readonly client: 'rx-channels' | 'iii-sdk'
  readonly inFlight: number
  readonly perSecond: number
}

async function roundTrips(client: InvocationsResult['client'], inFlight: number, seconds: number): Promise<InvocationsResult> {
  const script = client === 'rx-channels' ? 'bench/invocations/sdk-worker.ts' : 'bench/invocations/iii-worker.ts'
  const { engine, url } = await spawnEngineProcess()
  const handler = spawnTs(script, [url, 'handle'])
  try {
    await handler.waitForLine(/^READY/)
    const caller = spawnTs(script, [url, 'call', String(inFlight), String(seconds)])
    const [, json] = await caller.waitForLine(/^RESULT (.*)$/, seconds * 1000 + 30_000)
    await stopAll([caller])
    const { calls, seconds: took } = JSON.parse(json) as { calls: number; seconds: number }
    return { client, inFlight, perSecond: calls / took }
  } finally {
    await stopAll([handler, engine])
  }
}

/** Ours and the official client, interleaved, with 1 and 64 in flight: the median of `rounds` runs each. */
export async function invocations(seconds: number, rounds: number): Promise<InvocationsResult[]> {
  const rows = [1, 64].flatMap((inFlight) => (['rx-channels', 'iii-sdk'] as const).map((client) => ({ client, inFlight, rates: [] as number[] })))
  for (let round = 0; round < rounds; round++) {
    for (const row of rows) row.rates.push((await roundTrips(row.client, row.inFlight, seconds)).perSecond)
  }
  return rows.map(({ client, inFlight, rates }) => ({ client, inFlight, perSecond: median(rates) }))
}

export function formatInvocations(results: readonly InvocationsResult[]): string {
  return [
    'invocation round trips through the engine (caller and handler in their own processes), median of interleaved rounds',
    'in flight | rx-channels /s | official iii-sdk /s | ours vs official',
    '--- | --- | --- | ---',
    ...[1, 64].map((inFlight) => {
      const ours = results.find((result) => result.inFlight === inFlight && result.client === 'rx-channels')
      const theirs = results.find((result) => result.inFlight === inFlight && result.client === 'iii-sdk')
      if (!ours || !theirs) return `${inFlight} | - | - | -`
      return `${inFlight} | ${ours.perSecond.toFixed(0)} | ${theirs.perSecond.toFixed(0)} | ${((ours.perSecond / theirs.perSecond) * 100).toFixed(0)} %`
    }),
  ].join('\n')
}
