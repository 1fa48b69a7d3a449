import { arch, hostname, platform, release } from 'os'
import { stderrLogger } from '../log'
import { NodeChannelReader, NodeChannelWriter } from '../node/channel-ends'
import { wsTransport } from '../node/ws-transport'
import type { WorkerClient, WorkerOptions } from './api'
import { Worker } from './worker-client'

export type { Channel, FunctionDefinition, FunctionHandler, FunctionRef, TriggerRequest, WorkerClient, WorkerOptions } from './api'

/**
 * Connects a worker process to an engine. Returns at once; the connection opens in the
 * background, and registrations and invocations made before it opens are sent when it does.
 */
export function registerWorker(url: string, options: WorkerOptions = {}): WorkerClient {
  const channelOptions = { engineUrl: url, connect: { tls: options.tls }, keepAlive: options.channelKeepAlive, readerCredit: options.channelReaderCredit }
  const headers = options.token === undefined ? options.headers : { ...options.headers, authorization: `Bearer ${options.token}` }
  return new Worker(url, options, {
    url,
    transport: wsTransport({ headers, tls: options.tls }),
    logger: options.logger ?? stderrLogger('rx-channels worker'),
    description: {
      runtime: 'node',
      name: options.workerName ?? `${hostname()}:${process.pid}`,
      os: `${platform()} ${release()} (${arch()})`,
      pid: process.pid,
    },
    reader: (ref) => new NodeChannelReader(ref, channelOptions),
    writer: (ref) => new NodeChannelWriter(ref, channelOptions),
  })
}
