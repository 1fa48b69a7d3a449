import { expect } from 'chai'
import { createHash } from 'crypto'
import type { CDPSession, Page } from 'playwright-core'
import { lastValueFrom, toArray } from 'rxjs'
import { ChannelError, type ChannelReader, type ChannelWriter } from '../../lib'
import type * as Browser from '../../lib/browser'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'
import { describeInChromium } from './chromium'
import { fillPattern, MiB } from './pattern'

/** What a test page holds: the bundle as `rx`, and the worker it registered. */
interface PageGlobals {
  rx: typeof Browser
  worker: Browser.BrowserWorkerClient
  fillPattern: typeof fillPattern
  /** Bytes the upload case's page has handed to its writer. */
  uploaded: number
  navigator: { readonly userAgent: string }
}
const inPage = globalThis as unknown as PageGlobals

/** Registers the page as a worker of the engine at `url`, with the pattern maker defined in it. */
async function registerPage(page: Page, url: string): Promise<void> {
  await page.evaluate(`globalThis.fillPattern = ${fillPattern.toString()}`)
  await page.evaluate(async (engineUrl) => {
    inPage.worker = inPage.rx.registerWorker(engineUrl, { workerName: 'test page' })
    await inPage.worker.ready()
  }, url)
}

/**
 * What the page holds live, through the DevTools protocol: its V8 heap plus ArrayBuffer
 * backing stores, after a collection (garbage not yet collected is not held).
 */
async function pageMemory(session: CDPSession): Promise<number> {
  await session.send('HeapProfiler.collectGarbage')
  const usage = (await session.send('Runtime.getHeapUsage')) as { usedSize: number; backingStorageSize?: number }
  return usage.usedSize + (usage.backingStorageSize ?? 0)
}

const sha256OfPattern = (bytes: number) => {
  const hash = createHash('sha256')
  for (let offset = 0; offset < bytes; offset += MiB) hash.update(fillPattern(Buffer.alloc(Math.min(MiB, bytes - offset)), offset))
  return hash.digest('hex')
}

describeInChromium('rx-channels/browser in Chromium', (browser) => {
  const context = useEngine()
  const startWorker = useWorkers()

  /** A Node worker, and a page registered as a worker with a DevTools session to measure it. */
  async function nodeAndMeasuredPage() {
    const node = await startWorker(context.url)
    const page = await browser.openPage()
    const session = await browser.cdp(page)
    await registerPage(page, context.url)
    return { node, page, session }
  }

  it('a page calls a Node function, and a Node worker calls a function the page registered', async () => {
    const node = await startWorker(context.url)
    node.registerFunction('node.double', ({ n }: { n: number }) => ({ doubled: n * 2 }))
    await node.ready()
    const page = await browser.openPage()
    await registerPage(page, context.url)
    await page.evaluate(() => {
      inPage.worker.registerFunction('page.greet', ({ name }: { name: string }) => ({ greeting: `hello ${name}`, from: inPage.navigator.userAgent.includes('Chrome') }))
      return inPage.worker.ready()
    })
    expect(await page.evaluate(() => inPage.worker.trigger({ function_id: 'node.double', payload: { n: 21 } }))).to.deep.equal({ doubled: 42 })
    expect(await node.trigger({ function_id: 'page.greet', payload: { name: 'node' } })).to.deep.equal({ greeting: 'hello node', from: true })
  })

  it('messages and chunks arrive in order, Node to page and page back to Node, as Uint8Arrays in the page', async () => {
    const node = await startWorker(context.url)
    const page = await browser.openPage()
    await registerPage(page, context.url)
    await page.evaluate(() => {
      // Reads both streams of `input`, then writes them back on `output` in the order they came.
      inPage.worker.registerFunction('page.echo', async ({ input, output }: { input: Browser.ChannelReader; output: Browser.ChannelWriter }) => {
        const collect = <T>(values$: { subscribe(observer: object): unknown }) =>
          new Promise<T[]>((resolve, reject) => {
            const values: T[] = []
            values$.subscribe({ next: (value: T) => values.push(value), error: reject, complete: () => resolve(values) })
          })
        const [chunks, messages] = await Promise.all([collect<Uint8Array>(input.chunks$), collect<string>(input.messages$)])
        for (const message of messages) output.messages.next(message)
        for (const chunk of chunks) output.chunks.next(chunk)
        output.chunks.complete()
        return { uint8: chunks.every((chunk) => chunk.constructor === Uint8Array), chunks: chunks.length }
      })
      return inPage.worker.ready()
    })
    const toPage = await node.createChannel()
    const fromPage = await node.createChannel()
    const echoed = node.trigger({ function_id: 'page.echo', payload: { input: toPage.readerRef, output: fromPage.writerRef } })
    const messages = lastValueFrom(fromPage.reader.messages$.pipe(toArray()))
    const chunks = fromPage.reader.readAll()
    for (let index = 0; index < 50; index++) {
      toPage.writer.sendMessage(`message ${index}`)
      toPage.writer.write(Buffer.from([index, index + 1, index + 2]))
    }
    toPage.writer.close()
    expect(await echoed).to.deep.equal({ uint8: true, chunks: 50 })
    expect(await messages).to.deep.equal(Array.from({ length: 50 }, (_, index) => `message ${index}`))
    expect([...(await chunks)]).to.deep.equal(Array.from({ length: 50 }, (_, index) => [index, index + 1, index + 2]).flat())
  })

  it('the operators run in the page: NDJSON from Node parsed there across re-cut chunks, and encoded back', async () => {
    const node = await startWorker(context.url)
    const page = await browser.openPage()
    await registerPage(page, context.url)
    await page.evaluate(() => {
      const { rx } = inPage
      // Records arrive cut in 7-byte pieces, so most are split across chunks.
      inPage.worker.registerFunction('page.ndjson', async ({ input, output }: { input: Browser.ChannelReader; output: Browser.ChannelWriter }) => {
        const ids: number[] = []
        let bytes = 0
        await new Promise<void>((resolve, reject) =>
          input.chunks$.pipe(rx.rechunk(7), rx.countBytes((progress) => (bytes = progress.bytes)), rx.parseNdjson()).subscribe({
            next: (record) => ids.push((record as { id: number }).id),
            error: reject,
            complete: resolve,
          }),
        )
        await new Promise<void>((resolve, reject) =>
          input.messages$.pipe(rx.encodeNdjson()).subscribe({ next: (bytes) => output.chunks.next(bytes), error: reject, complete: resolve }),
        )
        output.chunks.complete()
        return { ids, bytes }
      })
      return inPage.worker.ready()
    })
    const toPage = await node.createChannel()
    const fromPage = await node.createChannel()
    const parsed = node.trigger({ function_id: 'page.ndjson', payload: { input: toPage.readerRef, output: fromPage.writerRef } })
    const echoed = fromPage.reader.readAll()
    let sent = 0
    for (let id = 0; id < 40; id++) {
      const line = Buffer.from(`${JSON.stringify({ id, name: `record ${id}` })}\n`)
      sent += line.length
      toPage.writer.write(line)
      toPage.writer.sendMessage(`message ${id}`)
    }
    toPage.writer.close()
    expect(await parsed).to.deep.equal({ ids: Array.from({ length: 40 }, (_, id) => id), bytes: sent })
    expect((await echoed).toString('utf8')).to.equal(Array.from({ length: 40 }, (_, id) => `"message ${id}"\n`).join(''))
  })

  it('a page uploads a 256 MiB Blob to a Node worker that reads slowly and checks its SHA-256, paced by bufferedAmount with the page memory bounded', async function () {
    this.timeout(120_000)
    const { node, page, session } = await nodeAndMeasuredPage()
    const size = 256 * MiB
    const samples: number[] = []
    /** How far the page's writer had got past what the worker had read, at each sample of the slow phase. */
    const ahead: number[] = []
    node.registerFunction('node.hash', async ({ upload }: { upload: ChannelReader }) => {
      const hash = createHash('sha256')
      let bytes = 0
      let nextSample = 0
      for await (const chunk of upload) {
        hash.update(chunk)
        bytes += chunk.length
        // A slow reader over the first 48 MiB: the page's writer must wait on bufferedAmount.
        const slow = bytes < 48 * MiB
        if (slow) await new Promise((resolve) => setTimeout(resolve, 2))
        if (bytes >= nextSample) {
          nextSample += 16 * MiB
          // Past the slow phase the page runs as fast as the worker reads: the distance then
          // measures the round trip of this question more than the pacing.
          if (slow) ahead.push((await page.evaluate(() => inPage.uploaded)) - bytes)
          samples.push(await pageMemory(session))
        }
      }
      return { bytes, sha256: hash.digest('hex') }
    })
    await node.ready()
    const before = await pageMemory(session)
    const result = await page.evaluate(async (total) => {
      const parts: Blob[] = []
      for (let offset = 0; offset < total; offset += 1024 * 1024) parts.push(new Blob([inPage.fillPattern(new Uint8Array(1024 * 1024), offset)]))
      const blob = new Blob(parts)
      const channel = await inPage.worker.createChannel(8)
      const hashed = inPage.worker.trigger({ function_id: 'node.hash', payload: { upload: channel.readerRef }, timeoutMs: 110_000 })
      inPage.uploaded = 0
      const counted = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          inPage.uploaded += chunk.length
          controller.enqueue(chunk)
        },
      })
      await blob.stream().pipeThrough(counted).pipeTo(channel.writer.writable)
      return hashed
    }, size)
    expect(result).to.deep.equal({ bytes: size, sha256: sha256OfPattern(size) })
    expect(samples.length).to.be.at.least(16)
    expect(ahead.length).to.equal(3)
    // The Blob lives in the browser's blob store; what the page itself holds stays far below the upload.
    expect(Math.max(...samples) - before).to.be.below(48 * MiB)
    // The socket's buffer is not in the page's heap: its pacing shows as the writer keeping within
    // its 1 MiB high-water mark plus what the engine (8 frames), the browser's network service and
    // the kernel's loopback buffers both ways hold (up to 16 MiB seen); without it, ~all of the Blob.
    expect(Math.max(...ahead)).to.be.below(64 * MiB)
  })

  it('a page downloads 256 MiB from a Node worker at a slow pace while the engine holds at most buffer_size frames for it', async function () {
    this.timeout(120_000)
    const { node, page, session } = await nodeAndMeasuredPage()
    const size = 256 * MiB
    const bufferSize = 8
    const held: number[] = []
    const memory: number[] = []
    node.registerFunction('node.generate', async ({ download }: { download: ChannelWriter }) => {
      for (let offset = 0; offset < size; offset += MiB) {
        const part = fillPattern(Buffer.alloc(MiB), offset)
        if (!download.stream.write(part)) await new Promise((resolve) => download.stream.once('drain', resolve))
        held.push(context.engine.stats().heldFrames)
        if (offset % (32 * MiB) === 0) memory.push(await pageMemory(session))
      }
      await new Promise<void>((resolve, reject) => download.stream.once('error', reject).end(resolve))
      return { bytes: size }
    })
    await node.ready()
    const before = await pageMemory(session)
    const checked = await page.evaluate(
      async ({ buffer }) => {
        const channel = await inPage.worker.createChannel(buffer)
        const generated = inPage.worker.trigger({ function_id: 'node.generate', payload: { download: channel.writerRef }, timeoutMs: 110_000 })
        const reader = channel.reader.readable.getReader()
        let offset = 0
        let mismatches = 0
        const expected = new Uint8Array(64 * 1024)
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          inPage.fillPattern(expected.subarray(0, value.length), offset)
          for (let index = 0; index < value.length; index++) if (value[index] !== expected[index]) mismatches++
          offset += value.length
          // A slow consumer over the first 48 MiB: the engine must hold the writer back for it,
          // or the page's inbox fills with what the writer makes meanwhile.
          if (offset < 48 * 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 2))
        }
        return { received: offset, mismatches, generated: await generated }
      },
      { buffer: bufferSize },
    )
    expect(checked).to.deep.equal({ received: size, mismatches: 0, generated: { bytes: size } })
    expect(held.length).to.equal(256)
    expect(Math.max(...held)).to.be.at.most(bufferSize)
    // Credit keeps 16 frames (1 MiB) unread at most; without it the slow phase piles up ~100 MiB.
    expect(Math.max(...memory) - before).to.be.below(24 * MiB)
  })

  it('a writer aborted in a page fails the Node reader with writer_aborted and its reason, though a page cannot send close code 1011', async () => {
    const node = await startWorker(context.url)
    const page = await browser.openPage()
    await registerPage(page, context.url)
    const channel = await node.createChannel()
    const failure = lastValueFrom(channel.reader.chunks$).catch((error: unknown) => error)
    await page.evaluate(
      async ({ ref, url }) => {
        const writer = inPage.rx.openChannelEnd(ref, { engineUrl: url }) as Browser.ChannelWriter
        writer.write(new Uint8Array(1000))
        writer.abort(new Error('the user cancelled'))
        await new Promise((resolve) => writer.closed$.subscribe({ error: resolve, complete: () => resolve(undefined) }))
      },
      { ref: channel.writerRef, url: context.url },
    )
    const error = await failure
    expect(error).to.be.instanceOf(ChannelError)
    expect(error).to.include({ code: 'writer_aborted' })
    expect((error as ChannelError).message).to.include('the user cancelled')
  })

  it('a writer in a page closed mid-stream makes the Node reader fail with writer_aborted', async () => {
    const node = await startWorker(context.url)
    const page = await browser.openPage()
    await registerPage(page, context.url)
    const channel = await node.createChannel()
    let received = 0
    const failure = new Promise<unknown>((resolve) => {
      channel.reader.chunks$.subscribe({
        next: (chunk) => {
          received += chunk.length
          // Enough has arrived to be mid-stream: close the page under its writer.
          if (received >= MiB && received - chunk.length < MiB) void page.close()
        },
        error: resolve,
        complete: () => resolve(undefined),
      })
    })
    await page.evaluate(
      ({ ref, url }) => {
        // Writes for as long as the page lives; the test closes the page under it.
        const writer = inPage.rx.openChannelEnd(ref, { engineUrl: url }) as Browser.ChannelWriter
        const stream = writer.writable.getWriter()
        const writeForever = async () => {
          for (;;) await stream.write(new Uint8Array(64 * 1024))
        }
        void writeForever()
      },
      { ref: channel.writerRef, url: context.url },
    )
    const error = await failure
    expect(error).to.be.instanceOf(ChannelError)
    expect((error as ChannelError).code).to.equal('writer_aborted')
  })
})
