// Writer worker: offers `sizeMiB` to a channel as fast as it is allowed to.
//   pull: fromAsyncIterable(source).to(writer.chunks) — the source is read only on credit.
//   push: from(source).subscribe(writer.chunks) — the naive way: everything is pushed at once.
import { from } from 'rxjs'
import { fromAsyncIterable, registerWorker, silentLogger, type ChannelWriter } from '../../lib'
import { RssMeter } from '../support/rss'
import { sha256, testData } from './data'

async function* paced(sizeMiB: number, hash: ReturnType<typeof sha256>): AsyncGenerator<Buffer> {
  for (const chunk of testData(sizeMiB)) {
    hash.update(chunk)
    yield chunk
  }
}

async function main(): Promise<void> {
  const meter = new RssMeter()
  const worker = registerWorker(process.argv[2], { logger: silentLogger })
  worker.registerFunction('bench.write', ({ writer, sizeMiB, mode }: { writer: ChannelWriter; sizeMiB: number; mode: 'pull' | 'push' }) => {
    meter.markIdle()
    const hash = sha256()
    if (mode === 'pull') {
      fromAsyncIterable(paced(sizeMiB, hash)).to(writer.chunks).subscribe({
        complete: () => console.log(`WROTE ${JSON.stringify({ sha256: hash.digest('hex') })}`),
        error: (error: Error) => console.log(`WROTE ${JSON.stringify({ error: error.message })}`),
      })
    } else {
      from(testData(sizeMiB)).subscribe({ next: (chunk) => writer.chunks.next(chunk), complete: () => writer.chunks.complete() })
      meter.sample()
      console.log(`WROTE ${JSON.stringify({ buffered: true })}`)
    }
    return 'started'
  })
  await worker.ready()
  console.log('READY')
  meter.reportOnSigterm()
}

void main()
