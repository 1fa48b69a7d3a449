// RxJS pipeline, both ends: a file goes into one channel, through `pipeline.transform` in
// another process, back through a second channel into a file, with a progress bar driven
// by the transformer's progress messages (plain lines at each quarter when stderr is not a
// terminal). Its files live in a scratch folder that goes with the process. Usage: run.ts ENGINE_URL [--size MiB]
import { createReadStream, createWriteStream, promises as fs } from 'fs'
import path from 'path'
import { lastValueFrom } from 'rxjs'
import { decodeJson, fromReadable, fromWritable, registerWorker } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'
import { progressReporter } from '../support/progress'
import { scratchDir } from '../support/scratch'
import { Progress, type LogRecord } from './records'

const LEVELS = ['info', 'warn', 'error', 'debug']

async function writeInput(file: string, sizeMiB: number): Promise<number> {
  const out = createWriteStream(file)
  let bytes = 0
  let id = 0
  while (bytes < sizeMiB * 1024 * 1024) {
    const record: LogRecord = { id, level: LEVELS[id % LEVELS.length], message: `request ${id} served in ${(id * 7) % 500} ms by node ${id % 13}` }
    const line = `${JSON.stringify(record)}\n`
    bytes += line.length
    id++
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
  return id
}

async function countLines(file: string): Promise<number> {
  let lines = 0
  for await (const chunk of createReadStream(file)) for (const byte of chunk as Buffer) if (byte === 10) lines++
  return lines
}

async function main(): Promise<void> {
  const sizeMiB = Number(process.argv[3] === '--size' ? process.argv[4] : 16)
  const dir = scratchDir('rx-channels-pipeline-')
  const inputFile = path.join(dir, 'input.ndjson')
  const outputFile = path.join(dir, 'output.ndjson')
  const records = await writeInput(inputFile, sizeMiB)
  const { size } = await fs.stat(inputFile)

  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'pipeline-runner' })
  await worker.ready()
  const input = await worker.createChannel()
  const output = await worker.createChannel()
  const progress = progressReporter(size)
  const reports: Progress[] = []
  output.reader.messages$.pipe(decodeJson(Progress)).subscribe({
    next: (report) => {
      reports.push(report)
      const detail = `${report.records} records`
      if (report.done) progress.finish(detail)
      else progress.report(report.bytesIn, detail)
    },
    error: (error: Error) => console.error(error.message),
  })

  const transformed = worker.trigger<{ records: number; bytesIn: number; bytesOut: number }>({
    function_id: 'pipeline.transform',
    payload: { input: input.readerRef, output: output.writerRef },
    timeoutMs: 10 * 60_000,
  })
  const started = Date.now()
  await Promise.all([
    lastValueFrom(fromReadable(createReadStream(inputFile)).to(input.writer.chunks)),
    lastValueFrom(output.reader.flow.to(fromWritable(createWriteStream(outputFile)))),
  ])
  const result = await transformed
  const seconds = (Date.now() - started) / 1000
  console.log(
    `RESULT ${JSON.stringify({
      records,
      transformed: result.records,
      outputLines: await countLines(outputFile),
      bytesIn: result.bytesIn,
      bytesOut: result.bytesOut,
      progressReports: reports.length,
      lastReport: reports[reports.length - 1],
      seconds,
    })}`,
  )
  await worker.shutdown()
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
