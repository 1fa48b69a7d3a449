// Cluster demo: its own redis-server on a free loopback port, three engine processes on it
// (nodes a, b and c), workers on different nodes, then node b SIGKILLed. Prints each step as a
// `NOTE` line, and `RESULT <json>` at the end; stops everything it started on exit and on Ctrl-C.
// Usage: run.ts [--size MiB] (the transfer across nodes, default 64).
import { lastValueFrom, tap, toArray } from 'rxjs'
import { openChannelEnd, registerWorker, silentLogger, type ChannelReader, type WorkerClient } from '../../lib'
import { clusterPrefix, spawnClusterEngine } from '../support/cluster-engine'
import { interruptedBy, onInterrupt } from '../support/interrupt'
import { spawnTs } from '../support/processes'
import { PROGRESS_LINE } from '../support/progress'
import { freePort, spawnRedisServer } from '../support/redis-server'
import { Started } from '../support/started'

/** A killed node is found dead this long after its last heartbeat. */
const NODE_TTL_MS = 2000
/** Time the cluster may take to settle (functions listed, a worker moved); generous for a loaded machine. */
const SETTLE_MS = 20_000
const MiB = 1024 * 1024

const note = (text: string) => console.log(`NOTE ${text}`)
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`

/** Polls `check` every 100 ms until it returns a value; fails naming `what` after `timeoutMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = SETTLE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** The node each of `functionIds` is listed on, as `client`'s node sees the cluster, once all are listed. */
function listed(client: WorkerClient, functionIds: readonly string[]): Promise<Map<string, string>> {
  return until(`${functionIds.join(', ')} listed`, async () => {
    const { functions } = (await client.trigger({ function_id: 'engine::functions::list', payload: {} })) as { functions: Array<{ function_id: string; node_id?: string }> }
    const nodes = new Map(functions.map((entry) => [entry.function_id, entry.node_id ?? '?']))
    return functionIds.every((id) => nodes.has(id)) ? nodes : undefined
  })
}

/** The code a call failed with, or `resolved`. */
function outcomeOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'resolved',
    (error: { code?: string }) => error.code ?? String(error),
  )
}

async function main(started: Started): Promise<void> {
  const sizeArg = process.argv.indexOf('--size')
  const sizeMiB = sizeArg === -1 ? 64 : Number(process.argv[sizeArg + 1])

  const redis = started.ownRedis(spawnRedisServer(await freePort()))
  await redis.ready
  const prefix = clusterPrefix('demo')
  const [a, b, c] = await Promise.all(
    ['a', 'b', 'c'].map((nodeId) => {
      const { process: engine, ready } = spawnClusterEngine({ redis: redis.url, nodeId, prefix, nodeTtlMs: NODE_TTL_MS })
      started.engine(engine)
      return ready
    }),
  )
  const nodeOf = (url: string | undefined) => [a, b, c].find((engine) => engine.url === url)?.nodeId ?? `unknown (${url})`
  note(`redis-server on 127.0.0.1:${redis.port}; engines a, b, c (rx-channels engine --redis ... --node-ttl-ms ${NODE_TTL_MS})`)

  const worker = (script: string, url: string) => {
    const child = started.worker(spawnTs(script, [url], { onStderrLine: (line) => PROGRESS_LINE.test(line) && process.stderr.write(`${line}\n`) }))
    return child.waitForLine(/^READY/).then(() => child)
  }
  const [, , , mover] = await Promise.all([
    worker('demos/cluster/writer.ts', b.url),
    worker('demos/cluster/reader.ts', c.url),
    worker('demos/cluster/iii-worker.ts', c.url),
    worker('demos/cluster/mover.ts', `${b.url},${c.url}`),
  ])
  const client: WorkerClient = registerWorker(a.url, { workerName: 'cluster-demo', logger: silentLogger })
  await client.ready()
  const nodes = await listed(client, ['cluster.write', 'cluster.stream', 'cluster.read', 'iii.shout', 'cluster.where', 'cluster.hang'])
  note(`workers: writer and mover on b, reader and an official iii-sdk worker on c; node a lists cluster.write on ${nodes.get('cluster.write')}, iii.shout on ${nodes.get('iii.shout')}`)

  // Invocations across nodes: a caller on a, handlers on b and c.
  const callStarted = Date.now()
  const where = nodeOf(((await client.trigger({ function_id: 'cluster.where' })) as { engine?: string }).engine)
  const shout = (await client.trigger({ function_id: 'iii.shout', payload: 'hello from a' })) as string
  note(`calls from a: cluster.where answered from ${where}, iii.shout (iii-sdk on c) answered "${shout}", in ${Date.now() - callStarted} ms`)

  // A transfer across nodes: created on a, written from b, read on c; each hop proxied by its node to a.
  const transferStarted = Date.now()
  const channel = await client.createChannel()
  const [received, sent] = await Promise.all([
    client.trigger<{ bytes: number; sha256: string }>({ function_id: 'cluster.read', payload: { reader: channel.readerRef }, timeoutMs: 5 * 60_000 }),
    client.trigger<{ bytes: number; sha256: string }>({ function_id: 'cluster.write', payload: { writer: channel.writerRef, sizeMiB }, timeoutMs: 5 * 60_000 }),
  ])
  const transferSeconds = (Date.now() - transferStarted) / 1000
  const intact = received.bytes === sent.bytes && received.sha256 === sent.sha256
  const mibPerSecond = Number((received.bytes / MiB / transferSeconds).toFixed(1))
  note(`channel created on a, written from b, read on c: ${received.bytes / MiB} MiB ${intact ? 'intact (SHA-256 matches)' : 'CORRUPTED'}, ${mibPerSecond} MiB/s`)

  // Node b dies mid-stream, with calls pending on it.
  const doomed = await client.createChannel()
  const reader = openChannelEnd(doomed.readerRef, { engineUrl: c.url }) as ChannelReader
  let streaming!: () => void
  const firstBytes = new Promise<void>((resolve) => (streaming = resolve))
  const channelOutcome = lastValueFrom(reader.chunks$.pipe(tap(() => streaming()), toArray())).then(
    (chunks) => `ended cleanly after ${chunks.length} chunks`,
    (error: { code?: string }) => error.code ?? String(error),
  )
  const pending = [
    outcomeOf(client.trigger({ function_id: 'cluster.stream', payload: { writer: doomed.writerRef }, timeoutMs: 60_000 })),
    ...Array.from({ length: 3 }, () => outcomeOf(client.trigger({ function_id: 'cluster.hang', timeoutMs: 60_000 }))),
  ]
  await firstBytes
  const killed = Date.now()
  b.process.kill('SIGKILL')
  note(`node b SIGKILLed while it streamed into a channel (read on c) and held 4 calls from a`)
  const channelCode = await channelOutcome
  note(`the channel's reader on c: ${channelCode} after ${seconds(killed)}`)
  const calls = await Promise.all(pending)
  const stoppedAfterMs = Date.now() - killed
  note(`the 4 pending calls: ${[...new Set(calls)].join(', ')} after ${seconds(killed)} (node TTL ${NODE_TTL_MS} ms)`)

  await mover.waitForLine(new RegExp(`^ON ${c.url}$`), SETTLE_MS)
  const movedTo = await until('cluster.where served again', async () => nodeOf(((await client.trigger({ function_id: 'cluster.where', timeoutMs: 2000 })) as { engine?: string }).engine))
  note(`the mover (registerWorker([b, c])) moved to ${movedTo}: cluster.where answered again ${seconds(killed)} after the kill`)
  await client.shutdown()

  console.log(`RESULT ${JSON.stringify({ where, shout, transfer: { bytes: received.bytes, intact, mibPerSecond }, killed: { channel: channelCode, calls, stoppedAfterMs, movedTo } })}`)
}

const started = new Started()
onInterrupt(() => started.stopAll())
main(started)
  .then(() => started.stopAll())
  .catch(async (error: Error) => {
    // Interrupted, the demo's calls fail as its processes stop: the interrupt's cleanup ends this process.
    if (!interruptedBy()) console.error(error)
    await started.stopAll()
    if (!interruptedBy()) process.exit(1)
  })
