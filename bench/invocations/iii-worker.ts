// The same with the official iii-sdk client. Usage as sdk-worker.ts.
import { registerWorker } from 'iii-sdk'
import { callFor } from './call-for'

async function main(): Promise<void> {
  const [, , url, role, inFlight, seconds] = process.argv
  const iii = registerWorker(url, { otel: { enabled: false }, enableMetricsReporting: false })
  if (role === 'handle') iii.registerFunction('bench.echo', async (payload: unknown) => payload)
  // A first round trip: the connection is up and registrations are in.
  await iii.trigger({ function_id: 'engine::functions::list', payload: {} })
  if (role === 'handle') console.log('READY')
  else console.log(`RESULT ${JSON.stringify(await callFor(() => iii.trigger({ function_id: 'bench.echo', payload: { n: 1 } }), Number(inFlight), Number(seconds)))}`)
  // Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
  process.once('SIGINT', () => process.exit(0))
}

void main()
