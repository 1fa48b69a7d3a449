// RxJS pipeline, both ends: a file goes into one channel, through `pipeline.transform` in
// another process, back through a second channel into a file, with a progress bar driven
// by the transformer's progress messages. Usage: run.ts ENGINE_URL [--size MiB]
import { createReadStream, createWriteStream, promises as fs } from 'fs'
import { tmpdir } from 'os'
import path from 'path'
import { lastValueFrom } from 'rxjs'
import { decodeJson, fromReadable, fromWritable, registerWorker } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'
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

/** A bar on a terminal; plain lines at every tenth elsewhere (for example under `npm start`). */
function progressBar(totalBytes: number): (progress: Progress) => void {
  let lastTenth = -1
  return ({ bytesIn, records, done }) => {
    const fraction = done ? 1 : Math.min(bytesIn / totalBytes, 1)
    const label = `${(fraction * 100).toFixed(0).padStart(3)}% ${(bytesIn / 1048576).toFixed(1)}/${(totalBytes / 1048576).toFixed(1)} MiB, ${records} records`
    if (process.stderr.isTTY) {
      const filled = Math.round(fraction * 30)
      process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(30 - filled)}] ${label}${done ? '\n' : ''}`)
    } else if (Math.floor(fraction * 10) > lastTenth) {
      lastTenth = Math.floor(fraction * 10)
      process.stderr.write(`progress ${label}\n`)
    }
  }
}

async function countLines(file: string): Promise<number> {
  let lines = 0
  for await (const chunk of createReadStream(file)) for (const byte of chunk as Buffer) if (byte === 10) lines++
  return lines
}

async function main(): Promise<void> {
  const sizeMiB = Number(process.argv[3] === '--size' ? process.argv[4] : 16)
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'rx-channels-pipeline-'))
  const inputFile = path.join(dir, 'input.ndjson')
  const outputFile = path.join(dir, 'output.ndjson')
  const records = await writeInput(inputFile, sizeMiB)
  const { size } = await fs.stat(inputFile)

  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'pipeline-runner' })
  await worker.ready()
  const input = await worker.createChannel()
  const output = await worker.createChannel()
  const render = progressBar(size)
  const reports: Progress[] = []
  output.reader.messages$.pipe(decodeJson(Progress)).subscribe({
    next: (progress) => {
      reports.push(progress)
      render(progress)
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
  await fs.rm(dir, { recursive: true, force: true })
  await worker.shutdown()
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
