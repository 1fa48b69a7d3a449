// `npm run bench`: runs the benchmarks and prints their tables (`--json` for machines).
// Options: --size-mib N (default 1024), --rounds N of throughput, latency, invocations and the channels rows against the official ends (default 3), --rate MiB/s (default 8),
// --push-seconds N (default 10), --seconds N per invocation row (default 5),
// --messages N latency round trips (default 5000),
// --hostile-seconds N of the hostile mix (default 60),
// --cluster-mib N per cluster transfer (default 128),
// the channels rows of ours against the official ends move a quarter of --size-mib per round,
// BENCH_READER_NODE_FLAGS="--trace-gc ..." gives every reader process those node flags and shows its output,
// --only NAME (throughput, channels, latency, invocations, memory, slow-reader, hostile or cluster).
import os from 'os'
import { parseArgs } from 'util'
import { REDIS_INSTALL_HINT, redisServerFound } from '../demos/support/redis-server'
import { aggregateThroughput, channelsVersusOfficial, formatChannels, formatChannelsVersus } from './channels'
import { clusterBench, DEFAULT_CLUSTER, formatCluster } from './cluster'
import { DEFAULT_HOSTILE, formatHostile, hostileMix } from './hostile'
import { formatInvocations, invocations } from './invocations'
import { formatLatency, latency } from './latency'
import { formatMemory, memory } from './memory'
import { formatSlowReader, slowReader } from './slow-reader'
import { formatThroughput, throughput } from './throughput'

/** The rows of ours against the official ends on concurrent channels move this share of --size-mib, --rounds times each. */
const VERSUS_SHARE = 4

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'size-mib': { type: 'string', default: '1024' },
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '5' },
      messages: { type: 'string', default: '5000' },
      rate: { type: 'string', default: '8' },
      'push-seconds': { type: 'string', default: '10' },
      'hostile-seconds': { type: 'string', default: String(DEFAULT_HOSTILE.seconds) },
      'cluster-mib': { type: 'string', default: String(DEFAULT_CLUSTER.sizeMiB) },
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  })
  const runs = (name: string) => values.only === undefined || values.only === name
  const sizeMiB = Number(values['size-mib'])
  const rate = Number(values.rate)
  const started = new Date()
  const oneChannel = runs('throughput') ? await throughput(sizeMiB, Number(values.rounds)) : []
  const channels = runs('channels') ? await aggregateThroughput(sizeMiB) : []
  const versus = runs('channels') ? await channelsVersusOfficial(sizeMiB / VERSUS_SHARE, Number(values.rounds)) : []
  const roundTrips = runs('latency') ? await latency(Number(values.messages), Number(values.rounds)) : []
  const calls = runs('invocations') ? await invocations(Number(values.seconds), Number(values.rounds)) : []
  const engineMemory = runs('memory') ? await memory() : []
  const slow = runs('slow-reader')
    ? [await slowReader('pull', sizeMiB, rate, 0), await slowReader('push', sizeMiB, rate, Number(values['push-seconds']))]
    : []
  const hostile = runs('hostile') ? await hostileMix({ ...DEFAULT_HOSTILE, seconds: Number(values['hostile-seconds']) }) : undefined
  // The cluster needs a redis-server of its own; without one it is left out, saying how to get it.
  const clusterRuns = runs('cluster') && redisServerFound()
  if (runs('cluster') && !clusterRuns) console.error(`cluster: not run, redis-server not found on PATH; to run it: ${REDIS_INSTALL_HINT}`)
  const cluster = clusterRuns ? await clusterBench({ ...DEFAULT_CLUSTER, sizeMiB: Number(values['cluster-mib']), rounds: Number(values.rounds) }) : undefined
  if (values.json) {
    console.log(JSON.stringify({ date: started.toISOString(), node: process.version, throughput: oneChannel, channels, channelsVersusOfficial: versus, latency: roundTrips, invocations: calls, memory: engineMemory, slowReader: slow, hostile, cluster }, null, 2))
    return
  }
  console.log(`rx-channels benchmarks, ${started.toISOString()}, Node ${process.version}, ${os.cpus().length} cores\n`)
  if (oneChannel.length > 0) console.log(`${formatThroughput(oneChannel)}\n`)
  if (channels.length > 0) console.log(`${formatChannels(channels)}\n`)
  if (versus.length > 0) console.log(`${formatChannelsVersus(versus)}\n`)
  if (roundTrips.length > 0) console.log(`${formatLatency(roundTrips, Number(values.rounds))}\n`)
  if (calls.length > 0) console.log(`${formatInvocations(calls)}\n`)
  if (engineMemory.length > 0) console.log(`${formatMemory(engineMemory)}\n`)
  if (slow.length > 0) console.log(`${formatSlowReader(slow)}\n`)
  if (hostile) console.log(`${formatHostile(hostile)}\n`)
  if (cluster) console.log(formatCluster(cluster))
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
