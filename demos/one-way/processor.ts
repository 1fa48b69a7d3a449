// One-way channel, callee: `data.processor` reads newline-delimited JSON records from the
// channel it is handed and returns a summary of them.
import { registerWorker, type ChannelReader } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'

interface ProcessorInput {
  readonly label: string
  readonly reader: ChannelReader
}

interface SensorRecord {
  readonly id: number
  readonly value: number
}

async function main(): Promise<void> {
  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'data-processor' })
  worker.registerFunction(
    { id: 'data.processor', description: 'Summarizes JSON records streamed through a channel' },
    async ({ label, reader }: ProcessorInput) => {
      const text = (await reader.readAll()).toString('utf8')
      const records = text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as SensorRecord)
      const sum = records.reduce((total, record) => total + record.value, 0)
      return { label, count: records.length, sum, average: records.length === 0 ? 0 : sum / records.length }
    },
  )
  await worker.ready()
  console.log('READY data.processor')
  process.once('SIGTERM', () => void worker.shutdown())
}

void main()
