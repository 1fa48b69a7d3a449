// Invocation round trips per second (trigger -> handler -> result) through one engine: a
// caller process and a handler process, both on our SDK or both on the official client,
// with 1 and 64 triggers in flight. Each row runs in fresh processes for a fixed time.
import { spawnTs } from '../demos/support/processes'
import { stopAll } from './support/relay'

export interface InvocationsResult {
  readonly client: 'rx-channels' | 'iii-sdk'
  readonly inFlight: number
  readonly perSecond: number
}

async function roundTrips(client: InvocationsResult['client'], inFlight: number, seconds: number): Promise<InvocationsResult> {
  const script = client === 'rx-channels' ? 'bench/invocations/sdk-worker.ts' : 'bench/invocations/iii-worker.ts'
  const engine = spawnTs('bench/support/engine.ts')
  const [, url] = await engine.waitForLine(/^ENGINE (\S+)/)
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

/** Ours and the official client, interleaved, with 1 and 64 in flight. */
export async function invocations(seconds: number): Promise<InvocationsResult[]> {
  const results: InvocationsResult[] = []
  for (const inFlight of [1, 64]) {
    results.push(await roundTrips('rx-channels', inFlight, seconds))
    results.push(await roundTrips('iii-sdk', inFlight, seconds))
  }
  return results
}

export function formatInvocations(results: readonly InvocationsResult[]): string {
  return [
    'invocation round trips through the engine (caller and handler in their own processes)',
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
