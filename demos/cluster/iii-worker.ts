// Cluster demo, an official `iii-sdk` worker, unchanged, on one node of the cluster: the
// other nodes call it like any function. Usage: iii-worker.ts ENGINE_URL. Registers `iii.shout`.
import { registerWorker } from 'iii-sdk'
import { engineUrlFromArgs } from '../support/processes'

async function main(): Promise<void> {
  const iii = registerWorker(engineUrlFromArgs(), { workerName: 'cluster-iii-worker', otel: { enabled: false } })
  iii.registerFunction('iii.shout', async (text: string) => text.toUpperCase())
  // Answered after the registration above, which the client sends first on connect.
  await iii.trigger({ function_id: 'engine::functions::list', payload: {} })
  console.log('READY iii.shout (iii-sdk)')
  process.once('SIGTERM', () => void iii.shutdown().then(() => process.exit(0)))
}

void main()
