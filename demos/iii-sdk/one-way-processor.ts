// The one-way example written with the official `iii-sdk` client: runs unchanged against
// the rx-channels engine. Registers `data.processor`.
import { registerWorker } from 'iii-sdk'
import type { ChannelReader } from 'iii-sdk/channel'
import { engineUrlFromArgs } from '../support/processes'

interface SensorRecord {
  readonly id: number
  readonly value: number
}

async function main(): Promise<void> {
  const iii = registerWorker(engineUrlFromArgs(), { workerName: 'iii-data-processor', otel: { enabled: false } })
  iii.registerFunction('data.processor', async ({ label, reader }: { label: string; reader: ChannelReader }) => {
    const records = (await reader.readAll())
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as SensorRecord)
    const sum = records.reduce((total, record) => total + record.value, 0)
    return { label, count: records.length, sum, average: records.length === 0 ? 0 : sum / records.length }
  })
  // Answered after the registration above, which the client sends first on connect.
  await iii.trigger({ function_id: 'engine::functions::list', payload: {} })
  console.log('READY data.processor (iii-sdk)')
  process.once('SIGTERM', () => void iii.shutdown().then(() => process.exit(0)))
}

void main()
