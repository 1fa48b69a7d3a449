// The browser demo's Node side: the functions the page calls, and the loopback HTTP server
// that serves the page with rx-channels/browser. Used by server.ts and by the browser spec.
import { createHash } from 'crypto'
import { build } from 'esbuild'
import { readFileSync } from 'fs'
import http from 'http'
import type { AddressInfo } from 'net'
import path from 'path'
import { lastValueFrom } from 'rxjs'
import { fromAsyncIterable, type ChannelReader, type ChannelWriter, type WorkerClient } from '../../lib'

// The build's own options for rx-channels/browser (a plain JS module shared with scripts/build.js).
const { browserBundleOptions } = require('../../scripts/browser-bundle') as { browserBundleOptions: object }

const MiB = 1024 * 1024

interface HashInput {
  readonly file: ChannelReader
  /** Where `{ bytes, size }` progress messages go as the file is hashed, then `{ sha256 }`. */
  readonly progress: ChannelWriter
  readonly size: number
}

interface GenerateInput {
  readonly out: ChannelWriter
  readonly bytes: number
}

/**
 * `files.hash` reads a file from a channel, hashing it (SHA-256), and reports each MiB on a
 * second channel; `files.generate` writes any number of bytes, as fast as the reader takes them.
 */
export function registerDemoFunctions(worker: WorkerClient): void {
  worker.registerFunction({ id: 'files.hash', description: 'SHA-256 of a file sent through a channel, with progress messages' }, async ({ file, progress, size }: HashInput) => {
    const hash = createHash('sha256')
    let bytes = 0
    let reportedMiBs = 0
    for await (const chunk of file) {
      hash.update(chunk)
      bytes += chunk.length
      // Once per MiB boundary passed: the stream hands over what has arrived, a frame or several.
      if (Math.floor(bytes / MiB) > reportedMiBs) {
        reportedMiBs = Math.floor(bytes / MiB)
        progress.sendMessage(JSON.stringify({ bytes, size }))
      }
    }
    const sha256 = hash.digest('hex')
    progress.sendMessage(JSON.stringify({ bytes, size, sha256 }))
    progress.close()
    return { bytes, sha256 }
  })
  worker.registerFunction({ id: 'files.generate', description: 'Writes a generated stream of any size to a channel' }, async ({ out, bytes }: GenerateInput) => {
    // Generated only as fast as the channel takes it; fails if the page goes away.
    await lastValueFrom(fromAsyncIterable(generated(bytes)).to(out.chunks), { defaultValue: undefined })
    return { bytes }
  })
}

/** `bytes` bytes in blocks of 1 MiB, each filled with its index. */
async function* generated(bytes: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < bytes; offset += MiB) yield Buffer.alloc(Math.min(MiB, bytes - offset), offset / MiB)
}

export interface DemoSite {
  /** The page, with the engine's address in its query. */
  readonly url: string
  close(): Promise<void>
}

/** Serves the page, its script and rx-channels/browser on a free loopback port. */
export async function serveDemoPage(engineUrl: string): Promise<DemoSite> {
  const bundle = await build({ ...browserBundleOptions, sourcemap: false, write: false, outdir: 'unused' })
  const files = new Map<string, { type: string; body: string | Uint8Array }>([
    ['/', { type: 'text/html; charset=utf-8', body: readFileSync(path.join(__dirname, 'index.html'), 'utf8') }],
    ['/page.js', { type: 'text/javascript', body: readFileSync(path.join(__dirname, 'page.js'), 'utf8') }],
    ['/rx-channels-browser.js', { type: 'text/javascript', body: bundle.outputFiles[0].contents }],
  ])
  const server = http.createServer((request, response) => {
    const file = files.get(new URL(request.url ?? '/', 'http://localhost').pathname)
    if (file === undefined) response.writeHead(404).end()
    else response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/?engine=${encodeURIComponent(engineUrl)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
