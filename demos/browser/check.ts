// Browser demo, caller: checks unattended what the page relies on (the page itself runs in
// spec/browser/demo-page.spec.ts): the page and rx-channels/browser are served, a file sent
// to `files.hash` is hashed with progress messages, and `files.generate` delivers every byte.
// Usage: check.ts ENGINE_URL PAGE_URL [--size MiB]
import { createHash, randomBytes } from 'crypto'
import { lastValueFrom, toArray } from 'rxjs'
import { registerWorker } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'

const MiB = 1024 * 1024

async function served(pageUrl: string): Promise<boolean> {
  const page = await fetch(pageUrl)
  const script = await fetch(new URL('/rx-channels-browser.js', pageUrl))
  return page.ok && (await page.text()).includes('/page.js') && script.ok && (await script.text()).includes('rx-channels.credit.v1')
}

async function main(): Promise<void> {
  const [, , , pageUrl, , sizeArg = '32'] = process.argv
  const size = Number(sizeArg) * MiB
  const worker = registerWorker(engineUrlFromArgs(), { workerName: 'browser-demo-check' })
  await worker.ready()

  const data = await worker.createChannel()
  const progress = await worker.createChannel()
  const messages = lastValueFrom(progress.reader.messages$.pipe(toArray()))
  const hashed = worker.trigger<{ bytes: number; sha256: string }>({
    function_id: 'files.hash',
    payload: { file: data.readerRef, progress: progress.writerRef, size },
    timeoutMs: 120_000,
  })
  const file = randomBytes(size)
  data.writer.write(file)
  data.writer.close()
  const upload = await hashed
  const reports = (await messages).map((text) => JSON.parse(text) as { bytes: number; sha256?: string })

  const download = await worker.createChannel()
  const generated = worker.trigger({ function_id: 'files.generate', payload: { out: download.writerRef, bytes: size }, timeoutMs: 120_000 })
  const received = (await download.reader.readAll()).length
  await generated
  await worker.shutdown()

  const sha256 = createHash('sha256').update(file).digest('hex')
  console.log(
    `RESULT ${JSON.stringify({
      pageServed: await served(pageUrl),
      uploaded: upload.bytes,
      intact: upload.sha256 === sha256 && reports[reports.length - 1]?.sha256 === sha256,
      progressMessages: reports.length,
      downloaded: received,
    })}`,
  )
}

void main()
