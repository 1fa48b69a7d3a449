// `npm run bench`: runs the benchmarks and prints their tables (`--json` for machines).
// Options: --size-mib N (default 1024), --rate MiB/s (default 8), --push-seconds N (default 10).
import { parseArgs } from 'util'
import { formatSlowReader, slowReader } from './slow-reader'

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'size-mib': { type: 'string', default: '1024' },
      rate: { type: 'string', default: '8' },
      'push-seconds': { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
    },
  })
  const sizeMiB = Number(values['size-mib'])
  const rate = Number(values.rate)
  const started = new Date()
  const slow = [await slowReader('pull', sizeMiB, rate, 0), await slowReader('push', sizeMiB, rate, Number(values['push-seconds']))]
  if (values.json) {
    console.log(JSON.stringify({ date: started.toISOString(), node: process.version, slowReader: slow }, null, 2))
    return
  }
  console.log(`rx-channels benchmarks, ${started.toISOString()}, Node ${process.version}\n`)
  console.log(formatSlowReader(slow))
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
