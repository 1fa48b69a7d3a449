// Latency of a text message writer -> engine -> reader. One-way times would need clocks shared
// by two processes, so this times round trips instead: a ping worker writes on channel A, an
// echo worker reads A and writes each message back on channel B, which the ping worker reads;
// a round trip crosses the engine twice. The direct ws pipe does the same echo without engine,
// the same echo through relays with two hops each way, as through the engine: byte relays that
// parse nothing (bench/support/byte-relay.ts, the floor for any relay) and the bare relay, a
// process that only forwards frames (bench/latency/relay.ts, the floor for a ws relay). Rounds
// run interleaved (direct, relays, engine, direct, ...), each in fresh processes; each figure
// is the median of its rounds.
import { registerWorker, silentLogger } from '../lib'
import { spawnTs } from '../demos/support/processes'
import { BYTE_RELAY_NAMES, byteRelayKinds, startByteRelay, type ByteRelayKind } from './support/byte-relay'
import { median } from './support/median'
import { stopAll } from './support/relay'
import { spawnEngineProcess } from './support/spawn-engine'

export interface LatencyResult {
  readonly name: string
  readonly count: number
  readonly p50Us: number
  readonly p99Us: number
}

type RoundTrips = Omit<LatencyResult, 'name'>

/** The direct pipe's ping and echo, connected straight or through a byte relay (one connection: two hops each way). */
async function direct(count: number, through?: ByteRelayKind): Promise<RoundTrips> {
  const server = spawnTs('bench/latency/direct.ts', ['server'])
  const [, serverPort] = await server.waitForLine(/^PORT (\d+)/)
  const relay = through === undefined ? undefined : await startByteRelay(through, Number(serverPort))
  const client = spawnTs('bench/latency/direct.ts', ['client', `ws://127.0.0.1:${relay?.port ?? serverPort}`, String(count)])
  try {
    const [, json] = await client.waitForLine(/^RESULT (.*)$/, 5 * 60_000)
    return JSON.parse(json) as RoundTrips
  } finally {
    await stopAll([client, server, ...(relay ? [relay.relay] : [])])
  }
}

async function bareRelay(count: number): Promise<RoundTrips> {
  const relay = spawnTs('bench/latency/relay.ts', ['relay'])
  const [, port] = await relay.waitForLine(/^PORT (\d+)/)
  const url = `ws://127.0.0.1:${port}`
  const echo = spawnTs('bench/latency/relay.ts', ['echo', url])
  try {
    await echo.waitForLine(/^READY/)
    const ping = spawnTs('bench/latency/relay.ts', ['ping', url, String(count)])
    try {
      const [, json] = await ping.waitForLine(/^RESULT (.*)$/, 5 * 60_000)
      return JSON.parse(json) as RoundTrips
    } finally {
      await stopAll([ping])
    }
  } finally {
    await stopAll([echo, relay])
  }
}

async function relayed(count: number): Promise<RoundTrips> {
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
    const result = await client.trigger<RoundTrips>({
      function_id: 'bench.ping',
      payload: { writer: out.writerRef, reader: back.readerRef, count },
      timeoutMs,
    })
    await echoed
    return result
  } finally {
    await client.shutdown()
    await stopAll([ping, echo, engine])
  }
}

/** The direct pipe, the byte relays, the bare relay and the engine, interleaved: the median p50 and p99 of `rounds` runs each. */
export async function latency(count: number, rounds: number): Promise<LatencyResult[]> {
  const rows = [
    { name: 'direct ws pipe (no engine)', run: (count: number) => direct(count) },
    ...byteRelayKinds().map((kind) => ({ name: BYTE_RELAY_NAMES[kind], run: (count: number) => direct(count, kind) })),
    { name: 'bare ws relay (a process that only forwards frames)', run: bareRelay },
    { name: 'rx-channels, through the engine', run: relayed },
  ].map((row) => ({ ...row, p50s: [] as number[], p99s: [] as number[] }))
  for (let round = 0; round < rounds; round++) {
    for (const row of rows) {
      const { p50Us, p99Us } = await row.run(count)
      row.p50s.push(p50Us)
      row.p99s.push(p99Us)
    }
  }
  return rows.map(({ name, p50s, p99s }) => ({ name, count, p50Us: median(p50s), p99Us: median(p99s) }))
}

export function formatLatency(results: readonly LatencyResult[], rounds: number): string {
  const ms = (us: number) => (us / 1000).toFixed(3)
  const of = rounds > 1 ? `, median of ${rounds} interleaved rounds` : ''
  return [
    `text message round trips (ping -> echo -> ping, one at a time, ${results[0].count} after 200 warm-up${of})`,
    'path | p50 ms | p99 ms | p50 vs direct',
    '--- | --- | --- | ---',
    ...results.map((result) => `${result.name} | ${ms(result.p50Us)} | ${ms(result.p99Us)} | ${(result.p50Us / results[0].p50Us).toFixed(1)}x`),
  ].join('\n')
}
