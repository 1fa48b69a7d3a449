// RxJS pipeline, middle stage: `pipeline.transform` reads NDJSON log records from one
// channel, enriches each, and writes them to another, pulling its input only as fast as
// the output drains. Progress goes beside the output as typed text messages.
import { map, pipe, Subject, tap, lastValueFrom } from 'rxjs'
import { countBytes, encodeJson, encodeNdjson, parseNdjson, rechunk, registerWorker, type ChannelReader, type ChannelWriter } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'
import { LogRecord, Progress } from './records'

interface TransformInput {
  readonly input: ChannelReader
  readonly output: ChannelWriter
}

async function main(): Promise<void> {
  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'pipeline-transformer' })
  worker.registerFunction({ id: 'pipeline.transform', description: 'Enriches NDJSON log records, channel to channel' }, async ({ input, output }: TransformInput) => {
    const state = { records: 0, bytesIn: 0, bytesOut: 0 }
    const progress = new Subject<Progress>()
    progress.pipe(encodeJson(Progress)).subscribe({ next: (text) => output.sendMessage(text) })
    const report = (done: boolean) => progress.next({ type: 'progress', ...state, done })

    const enriched = input.flow.pipe(
      pipe(
        countBytes(({ bytes }) => (state.bytesIn = bytes), { everyBytes: 64 * 1024 }),
        parseNdjson(LogRecord),
        map((record) => ({ ...record, level: record.level.toUpperCase(), words: record.message.split(' ').length })),
        tap(() => state.records++),
        encodeNdjson(),
        rechunk(64 * 1024),
        countBytes(
          ({ bytes, done }) => {
            state.bytesOut = bytes
            report(done)
          },
          { everyBytes: 512 * 1024 },
        ),
      ),
    )
    await lastValueFrom(enriched.to(output.chunks))
    return state
  })
  await worker.ready()
  console.log('READY pipeline.transform')
  process.once('SIGTERM', () => void worker.shutdown())
}

void main()
