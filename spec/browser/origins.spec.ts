import { expect } from 'chai'
import { silentLogger, startEngine, type Engine, type EngineOptions } from '../../lib'
import type * as Browser from '../../lib/browser'
import { recordingLogger } from '../support/engine'
import { describeInChromium } from './chromium'

interface PageGlobals {
  rx: typeof Browser
}
const inPage = globalThis as unknown as PageGlobals

/** How `registerWorker(url, options).ready()` ends in the page: connected, or the error's code and message. */
interface Outcome {
  readonly connected: boolean
  readonly code?: string
  readonly message?: string
}

describeInChromium('rx-channels/browser: origins and tokens', (browser) => {
  let engine: Engine | undefined
  afterEach(async () => {
    await engine?.close()
    engine = undefined
  })

  const start = async (options: EngineOptions) => (engine = await startEngine({ port: 0, logger: silentLogger, ...options }))

  /** Registers the page as a worker (no retries) and reports how its `ready()` ended. */
  const readyInPage = (url: string, options: Browser.BrowserWorkerOptions) =>
    browser.openPage().then((page) =>
      page.evaluate(
        async ({ url, options }): Promise<Outcome> => {
          const worker = inPage.rx.registerWorker(url, { ...options, reconnect: { maxRetries: 0 } })
          try {
            await worker.ready()
            return { connected: true }
          } catch (error) {
            const { code, message } = error as { code: string; message: string }
            return { connected: false, code, message }
          } finally {
            await worker.shutdown()
          }
        },
        { url, options },
      ),
    )

  it('an engine refuses the upgrade of a page from an origin it does not allow, with 403 and the origin in its log', async () => {
    const logger = recordingLogger()
    const refusing = await start({ allowedOrigins: ['https://app.example'], logger })
    const outcome = await readyInPage(refusing.url, {})
    expect(outcome).to.include({ connected: false, code: 'engine_unreachable' })
    expect(logger.lines).to.include(`warn: refused an upgrade from 127.0.0.1: origin ${browser.origin} is not allowed (allowedOrigins)`)
  })

  it('a page on an allowed origin connects', async () => {
    const allowing = await start({ allowedOrigins: [browser.origin] })
    expect(await readyInPage(allowing.url, {})).to.deep.equal({ connected: true })
  })

  it('a page presents the worker token as ?token=; a wrong one is refused', async () => {
    const logger = recordingLogger()
    const guarded = await start({ token: 'page-secret', logger })
    expect(await readyInPage(guarded.url, { token: 'page-secret' })).to.deep.equal({ connected: true })
    expect(await readyInPage(guarded.url, { token: 'wrong' })).to.include({ connected: false, code: 'engine_unreachable' })
    expect(logger.lines.filter((line) => line.includes('refused'))).to.deep.equal(['warn: refused a worker socket from 127.0.0.1: invalid token'])
  })
})
