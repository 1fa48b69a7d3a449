import { arch, hostname, platform, release } from 'os'
import { stderrLogger } from '../log'
import { NodeChannelReader, NodeChannelWriter } from '../node/channel-ends'
import { wsTransport } from '../node/ws-transport'
import type { WorkerClient, WorkerOptions } from './api'
import { engineUrlList, type EngineUrls } from './engine-urls'
import { Worker } from './worker-client'

export type { Channel, FunctionDefinition, FunctionHandler, FunctionRef, TriggerRequest, WorkerClient, WorkerOptions } from './api'
export type { EngineUrls } from './engine-urls'

/**
 * Connects a worker process to an engine. Returns at once; the connection opens in the
 * background, and registrations and invocations made before it opens are sent when it does.
 * Given several URLs, it connects to the first that answers and, whenever its connection is
 * lost, reconnects to the next in turn. Throws `invalid_option` for an empty list or an entry
 * that is not a URL it could connect to.
 */
export function registerWorker(urls: EngineUrls, options: WorkerOptions = {}): WorkerClient {
  const channelOptions = (engineUrl: string) => ({ engineUrl, connect: { tls: options.tls }, keepAlive: options.channelKeepAlive, readerCredit: options.channelReaderCredit })
  const headers = options.token === undefined ? options.headers : { ...options.headers, authorization: `Bearer ${options.token}` }
  return new Worker(engineUrlList(urls), options, {
    socketUrl: (engineUrl) => engineUrl,
    transport: wsTransport({ headers, tls: options.tls }),
    logger: options.logger ?? stderrLogger('rx-channels worker'),
    description: {
      runtime: 'node',
      name: options.workerName ?? `${hostname()}:${process.pid}`,
      os: `${platform()} ${release()} (${arch()})`,
      pid: process.pid,
    },
    reader: (ref, engineUrl) => new NodeChannelReader(ref, channelOptions(engineUrl)),
    writer: (ref, engineUrl) => new NodeChannelWriter(ref, channelOptions(engineUrl)),
  })
}
