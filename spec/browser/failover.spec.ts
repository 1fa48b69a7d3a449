import { expect } from 'chai'
import { silentLogger, startEngine, type Engine } from '../../lib'
import type * as Browser from '../../lib/browser'
import { describeInChromium } from './chromium'

interface PageGlobals {
  rx: typeof Browser
  worker: Browser.BrowserWorkerClient
  /** Resolves with engineUrl$'s values once it has named an engine after a drop. */
  moved: Promise<(string | undefined)[]>
}
const inPage = globalThis as unknown as PageGlobals

const TOKEN = 'page-secret'

describeInChromium('rx-channels/browser: several engine URLs', (browser) => {
  let engines: Engine[] = []
  afterEach(async () => {
    await Promise.all(engines.map((engine) => engine.close()))
    engines = []
  })

  const start = async () => {
    const engine = await startEngine({ port: 0, token: TOKEN, logger: silentLogger })
    engines.push(engine)
    return engine
  }

  it('a page fails over to the next engine, with its token, says which it is on (no token in it) and opens channels there', async () => {
    const [first, second] = [await start(), await start()]
    const page = await browser.openPage()
    const connectedTo = await page.evaluate(
      async ({ urls, token }) => {
        inPage.worker = inPage.rx.registerWorker(urls, { token, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } })
        await inPage.worker.ready()
        const seen: (string | undefined)[] = []
        inPage.moved = new Promise((resolve, reject) =>
          inPage.worker.engineUrl$.subscribe({
            next: (url) => {
              seen.push(url)
              if (url !== undefined && seen.includes(undefined)) resolve([...seen])
            },
            complete: () => reject(new Error(`engineUrl$ completed after ${JSON.stringify(seen)}`)),
          }),
        )
        return inPage.worker.engineUrl
      },
      { urls: [first.url, second.url] as const, token: TOKEN },
    )
    expect(connectedTo).to.equal(first.url)

    await first.close()
    const afterClose = await page.evaluate(async () => {
      const seen = await inPage.moved
      await inPage.worker.ready()
      // The first engine is closed: these ends open only through the one the worker is on now.
      const channel = await inPage.worker.createChannel(4)
      const read = channel.reader.readAll()
      channel.writer.write(new TextEncoder().encode('through the second engine'))
      channel.writer.close()
      const text = new TextDecoder().decode(await read)
      await inPage.worker.shutdown()
      return { seen, text }
    })
    expect(afterClose).to.deep.equal({ seen: [first.url, undefined, second.url], text: 'through the second engine' })
  })

  it('a page given a list with an entry that is not a URL is refused at once with invalid_option', async () => {
    const page = await browser.openPage()
    const refusal = await page.evaluate(() => {
      try {
        inPage.rx.registerWorker(['ws://127.0.0.1:1', 'not a url'])
        return undefined
      } catch (error) {
        const { code, message } = error as { code: string; message: string }
        return { code, message }
      }
    })
    expect(refusal).to.deep.equal({ code: 'invalid_option', message: 'engine URL 1 (not a url) is not a URL' })
  })
})
