// An engine for memory figures: on SIGUSR2 it collects garbage and prints `MEM {...}` (RSS, and
// the V8 heap plus external memory such as buffers, in bytes). Allows 10,000 channels for one worker,
// and the 2,001 connections of 1,000 open channels from the one address the client has.
import v8 from 'v8'
import vm from 'vm'
import { silentLogger, startEngine } from '../../lib'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

async function main(): Promise<void> {
  const engine = await startEngine({ port: 0, logger: silentLogger, maxChannelsPerWorker: 20_000, maxConnectionsPerAddress: 4096 })
  process.on('SIGUSR2', () => {
    gc()
    const { rss, heapUsed, external } = process.memoryUsage()
    console.log(`MEM ${JSON.stringify({ rss, heap: heapUsed + external, stats: engine.stats() })}`)
  })
  console.log(`ENGINE ${engine.url}`)
  // Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
  process.once('SIGINT', () => process.exit(0))
}

void main()
