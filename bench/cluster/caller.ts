// Invocation round trips, one at a time, from a process of its own. Usage: caller.ts URL
// FUNCTION_ID COUNT: calls FUNCTION_ID COUNT times after 200 for warm-up, then prints
// `RESULT {"count":N,"p50Us":...,"p99Us":...}`.
import { registerWorker, silentLogger } from '../../lib'
import { timeRoundTrips } from '../latency/percentiles'

async function main(): Promise<void> {
  const [, , url, functionId, count] = process.argv
  const worker = registerWorker(url, { logger: silentLogger, workerName: 'bench-caller' })
  await worker.ready()
  const result = await timeRoundTrips((message) => worker.trigger({ function_id: functionId, payload: message }), Number(count))
  console.log(`RESULT ${JSON.stringify(result)}`)
  await worker.shutdown()
}

void main()
