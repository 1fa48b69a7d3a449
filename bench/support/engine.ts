// An engine process for benchmarks: prints its address, and its RSS report on SIGTERM.
// `engine.ts --otlp-endpoint URL` exports its invocation spans there.
import { parseArgs } from 'util'
import { silentLogger, startEngine } from '../../lib'
import { RssMeter } from './rss'

async function main(): Promise<void> {
  const meter = new RssMeter()
  const { values } = parseArgs({ options: { 'otlp-endpoint': { type: 'string' } } })
  const engine = await startEngine({ port: 0, logger: silentLogger, otlpEndpoint: values['otlp-endpoint'] })
  console.log(`ENGINE ${engine.url}`)
  process.once('SIGTERM', () => {
    console.log(`RSS ${JSON.stringify(meter.report())}`)
    void engine.close().then(() => process.exit(0))
  })
  // Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
  process.once('SIGINT', () => process.exit(0))
}

void main()
