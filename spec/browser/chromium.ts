import { execFileSync } from 'child_process'
import { build } from 'esbuild'
import fs from 'fs'
import http from 'http'
import type { AddressInfo } from 'net'
import os from 'os'
import path from 'path'
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core'

// The build's own options for rx-channels/browser (a plain JS module shared with scripts/build.js).
const { browserBundleOptions } = require('../../scripts/browser-bundle') as { browserBundleOptions: object }

const INSTALL_HINT = 'install chromium (Debian: apt-get install -y chromium) to run the browser specs'

/** Debian's Chromium: /usr/bin/chromium, or `chromium` on PATH. */
export function findChromium(): string | undefined {
  if (fs.existsSync('/usr/bin/chromium')) return '/usr/bin/chromium'
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/** Whether the pending line for a missing Chromium has been registered (once for all the browser specs). */
let missingAnnounced = false

/**
 * A `describe` for specs that need Chromium: without it, one pending line naming what to
 * install, or a failure where RX_CHANNELS_REQUIRE_BROWSER=1 (CI installs it).
 */
export function describeInChromium(title: string, suite: (browser: BrowserUnderTest) => void): void {
  const executable = findChromium()
  if (executable !== undefined) {
    describe(title, () => suite(useChromium(executable)))
    return
  }
  // One line for all the browser specs, in the first file that asks.
  if (missingAnnounced) return
  missingAnnounced = true
  describe('browser specs', () => {
    if (process.env.RX_CHANNELS_REQUIRE_BROWSER === '1') {
      it('find Chromium', () => {
        throw new Error(`RX_CHANNELS_REQUIRE_BROWSER=1 but no Chromium was found: ${INSTALL_HINT}`)
      })
    } else it(INSTALL_HINT)
  })
}

export interface BrowserUnderTest {
  /** The loopback address the test page is served from. */
  readonly origin: string
  /** A fresh page that has loaded the bundle as `window.rx`; closed after the test. */
  openPage(): Promise<Page>
  /** A fresh blank page; closed after the test. */
  newPage(): Promise<Page>
  cdp(page: Page): Promise<CDPSession>
  /** Extra responses by path, for a test's own pages. */
  readonly routes: Map<string, { readonly type: string; readonly body: string | Buffer }>
}

// `inPage` names the page's global in functions a spec runs there (they cannot see the spec's variables).
const TEST_PAGE = `<!doctype html><meta charset="utf-8"><title>rx-channels</title>
<script type="module">import * as rx from '/rx-channels-browser.js'; window.inPage = window; window.rx = rx; window.rxLoaded = true</script>`

/** Chromium headless on a fresh profile, and a loopback HTTP server with the bundle, for the enclosing suite. */
function useChromium(executablePath: string): BrowserUnderTest {
  const routes = new Map<string, { type: string; body: string | Buffer }>()
  const pages: Page[] = []
  let context: BrowserContext
  let server: http.Server
  let profile: string
  const state = {
    origin: '',
    routes,
    async newPage() {
      const page = await context.newPage()
      pages.push(page)
      return page
    },
    async openPage() {
      const page = await state.newPage()
      await page.goto(`${state.origin}/`)
      await page.waitForFunction(() => (globalThis as { rxLoaded?: boolean }).rxLoaded === true)
      return page
    },
    cdp: (page: Page) => context.newCDPSession(page),
  }
  before(async function () {
    this.timeout(60_000)
    const bundle = await build({ ...browserBundleOptions, minify: false, sourcemap: false, write: false, outdir: 'unused' })
    routes.set('/rx-channels-browser.js', { type: 'text/javascript', body: Buffer.from(bundle.outputFiles[0].contents) })
    routes.set('/', { type: 'text/html', body: TEST_PAGE })
    server = http.createServer((request, response) => {
      const route = routes.get(new URL(request.url ?? '/', 'http://x').pathname)
      if (!route) {
        response.writeHead(404).end()
        return
      }
      response.writeHead(200, { 'content-type': route.type }).end(route.body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-channels-chromium-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  })
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()))
  })
  after(async () => {
    await context?.close()
    server?.closeAllConnections()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    if (profile) fs.rmSync(profile, { recursive: true, force: true })
  })
  return state
}
