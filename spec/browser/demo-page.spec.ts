import { expect } from 'chai'
import { createHash, randomBytes } from 'crypto'
import path from 'path'
import { registerDemoFunctions, serveDemoPage, type DemoSite } from '../../demos/browser/site'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'
import { describeInChromium } from './chromium'

/** Where RX_CHANNELS_SCREENSHOT=1 writes the README's picture of the demo mid-transfer. */
const SCREENSHOT = path.join(__dirname, '..', '..', 'docs', 'browser-demo.png')

describeInChromium('demos/browser: the page in Chromium', (browser) => {
  const context = useEngine()
  const startWorker = useWorkers()
  let site: DemoSite | undefined
  afterEach(async () => {
    await site?.close()
    site = undefined
  })

  it('uploads a picked file to be hashed, with the worker\'s progress on its bar, then downloads a generated stream', async function () {
    this.timeout(60_000)
    const worker = await startWorker(context.url)
    registerDemoFunctions(worker)
    await worker.ready()
    site = await serveDemoPage(context.url)
    const page = await browser.newPage()
    await page.setViewportSize({ width: 900, height: 640 })
    await page.goto(site.url)
    await page.waitForSelector('#connection:has-text("connected to")')

    const file = randomBytes(16 * 1024 * 1024)
    await page.setInputFiles('#file', { name: 'random.bin', mimeType: 'application/octet-stream', buffer: file })
    await page.click('#upload')
    await page.waitForSelector('body[data-upload="done"]')
    expect(await page.textContent('#upload-status')).to.equal(`16.0 MiB, SHA-256 ${createHash('sha256').update(file).digest('hex')}`)
    expect(await page.$eval('#upload-bar', (bar) => (bar as unknown as { value: number }).value)).to.equal(1)

    const screenshot = process.env.RX_CHANNELS_SCREENSHOT === '1'
    // For the picture, a download long enough to be caught halfway; otherwise one to its end.
    await page.fill('#size', screenshot ? '2048' : '64')
    await page.click('#download')
    if (screenshot) {
      await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { value: number } } }).document.getElementById('download-bar').value > 0.3)
      await page.screenshot({ path: SCREENSHOT })
      return
    }
    await page.waitForSelector('body[data-download="done"]')
    expect(await page.textContent('#download-status')).to.equal('64.0 MiB received, complete')
  })
})
