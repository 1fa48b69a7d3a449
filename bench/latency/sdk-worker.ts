// Text round trips through the engine on our SDK. Usage: sdk-worker.ts URL echo|ping.
// `bench.echo` sends every message of its reader back on its writer; `bench.ping` sends
// messages on its writer and times each until the echo comes back on its reader.
import { registerWorker, silentLogger, type ChannelReader, type ChannelWriter } from '../../lib'
import { replies, timeRoundTrips } from './percentiles'

interface Ends {
  readonly reader: ChannelReader
  readonly writer: ChannelWriter
}

async function main(): Promise<void> {
  const worker = registerWorker(process.argv[2], { logger: silentLogger })
  if (process.argv[3] === 'echo') worker.registerFunction('bench.echo', async ({ reader, writer }: Ends) => {
    await new Promise<void>((resolve) => reader.messages$.subscribe({ next: (message) => writer.sendMessage(message), complete: resolve, error: resolve }))
    writer.close()
    return null
  })
  else worker.registerFunction('bench.ping', async ({ reader, writer, count }: Ends & { count: number }) => {
    const { roundTrip, onReply } = replies((message) => writer.sendMessage(message))
    const echoes = reader.messages$.subscribe({ next: onReply, error: () => undefined })
    const result = await timeRoundTrips(roundTrip, count)
    writer.close()
    echoes.unsubscribe()
    return result
  })
  await worker.ready()
  console.log('READY')
  // Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
  process.once('SIGINT', () => process.exit(0))
}

void main()
