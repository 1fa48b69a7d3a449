// Invocation round trips on our SDK. Usage: sdk-worker.ts URL handle, or
// sdk-worker.ts URL call IN_FLIGHT SECONDS: keeps IN_FLIGHT triggers of `bench.echo` going for
// SECONDS, then prints `RESULT {"calls":N,"seconds":S}`.
import { registerWorker, silentLogger } from '../../lib'
import { callFor } from './call-for'

async function main(): Promise<void> {
  const [, , url, role, inFlight, seconds] = process.argv
  const worker = registerWorker(url, { logger: silentLogger })
  if (role === 'handle') worker.registerFunction('bench.echo', async (payload: unknown) => payload)
  await worker.ready()
  if (role === 'handle') console.log('READY')
  else console.log(`RESULT ${JSON.stringify(await callFor(() => worker.trigger({ function_id: 'bench.echo', payload: { n: 1 } }), Number(inFlight), Number(seconds)))}`)
  // Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
  process.once('SIGINT', () => process.exit(0))
}

void main()
