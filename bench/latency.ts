// Latency of a text message writer -> engine -> reader. One-way times would need clocks shared
// by two processes, so this times round trips instead: a ping worker writes on channel A, an
// echo worker reads A and writes each message back on channel B, which the ping worker reads;
// a round trip crosses the engine twice. The direct ws pipe does the same echo without engine.
import { registerWorker, silentLogger } from '../lib'
import { spawnTs } from '../demos/support/processes'
import { stopAll } from './support/relay'
import { spawnEngineProcess } from './support/spawn-engine'

export interface LatencyResult {
  readonly name: string
  readonly count: number
  readonly p50Us: number
  readonly p99Us: number
}

async function direct(count: number): Promise<LatencyResult> {
  const server = spawnTs('bench/latency/direct.ts', ['server'])
  const [, port] = await server.waitForLine(/^PORT (\d+)/)
  const client = spawnTs('bench/latency/direct.ts', ['client', `ws://127.0.0.1:${port}`, String(count)])
  try {
    const [, json] = await client.waitForLine(/^RESULT (.*)$/, 5 * 60_000)
    return { name: 'direct ws pipe (no engine)', ...(JSON.parse(json) as Omit<LatencyResult, 'name'>) }
  } finally {
    await stopAll([client, server])
  }
}

async function relayed(count: number): Promise<LatencyResult> {
  const { engine, url } = await spawnEngineProcess()
  const echo = spawnTs('bench/latency/sdk-worker.ts', [url, 'echo'])
  const ping = spawnTs('bench/latency/sdk-worker.ts', [url, 'ping'])
  await Promise.all([echo.waitForLine(/^READY/), ping.waitForLine(/^READY/)])
  const client = registerWorker(url, { logger: silentLogger })
  try {
    await client.ready()
    const [out, back] = [await client.createChannel(), await client.createChannel()]
    const timeoutMs = 5 * 60_000
    const echoed = client.trigger({ function_id: 'bench.echo', payload: { reader: out.readerRef, writer: back.writerRef }, timeoutMs })
    const result = await client.trigger<Omit<LatencyResult, 'name'>>({
      function_id: 'bench.ping',
      payload: { writer: out.writerRef, reader: back.readerRef, count },
      timeoutMs,
    })
    await echoed
    return { name: 'rx-channels, through the engine', ...result }
  } finally {
    await client.shutdown()
    await stopAll([ping, echo, engine])
  }
}

export async function latency(count: number): Promise<LatencyResult[]> {
  return [await direct(count), await relayed(count)]
}

export function formatLatency(results: readonly LatencyResult[]): string {
  const ms = (us: number) => (us / 1000).toFixed(3)
  return [
    `text message round trips (ping -> echo -> ping, one at a time, ${results[0].count} after 200 warm-up)`,
    'path | p50 ms | p99 ms | p50 vs direct',
    '--- | --- | --- | ---',
    ...results.map((result) => `${result.name} | ${ms(result.p50Us)} | ${ms(result.p99Us)} | ${(result.p50Us / results[0].p50Us).toFixed(1)}x`),
  ].join('\n')
}
