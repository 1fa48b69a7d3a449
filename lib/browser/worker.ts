import type { ChannelEndOptions } from '../channel/reader'
import type { WorkerClient, WorkerOptions } from '../sdk/api'
import { engineUrlList, type EngineUrls } from '../sdk/engine-urls'
import { Worker } from '../sdk/worker-client'
import { WebChannelReader, WebChannelWriter } from './channel-ends'
import { consoleLogger } from './console-logger'
import { webSocketTransport } from './web-socket-transport'

/** A worker in a page: no headers and no TLS settings (the browser owns both); its readers always use credit. */
export type BrowserWorkerOptions = Omit<WorkerOptions, 'headers' | 'tls' | 'channelReaderCredit'>

export type BrowserWorkerClient = WorkerClient<WebChannelReader, WebChannelWriter>

/**
 * Connects a web page to an engine as a worker: it can call functions, serve its own and
 * open channels. A page cannot set headers on a WebSocket, so the token travels as
 * `?token=` on the worker socket's URL (channel sockets carry their own keys). Given several
 * URLs, it fails over between them as the Node client does.
 */
export function registerWorker(urls: EngineUrls, options: BrowserWorkerOptions = {}): BrowserWorkerClient {
  const channelOptions = (engineUrl: string): ChannelEndOptions => ({ engineUrl, keepAlive: options.channelKeepAlive })
  const { token } = options
  return new Worker(engineUrlList(urls), options, {
    socketUrl: (engineUrl) => (token === undefined ? engineUrl : withToken(engineUrl, token)),
    transport: webSocketTransport(),
    logger: options.logger ?? consoleLogger('rx-channels worker'),
    description: { runtime: 'browser', name: options.workerName ?? `browser:${page.location?.host ?? 'page'}`, os: page.navigator?.userAgent ?? 'unknown' },
    reader: (ref, engineUrl) => new WebChannelReader(ref, channelOptions(engineUrl)),
    writer: (ref, engineUrl) => new WebChannelWriter(ref, channelOptions(engineUrl)),
  })
}

/** What a page tells about itself (the project's types do not include the DOM). */
const page = globalThis as { readonly location?: { readonly host: string }; readonly navigator?: { readonly userAgent: string } }

function withToken(url: string, token: string): string {
  const withQuery = new URL(url)
  withQuery.searchParams.set('token', token)
  return withQuery.toString()
}
