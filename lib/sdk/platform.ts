import type { ChannelReader } from '../channel/reader'
import type { ChannelWriter } from '../channel/writer'
import type { Logger } from '../log'
import type { StreamChannelRef } from '../protocol/refs'
import type { Transport } from '../socket/wire'

/** What a worker tells the engine about itself, for `engine::workers::list`. */
export interface WorkerDescription {
  readonly runtime: string
  readonly name: string
  readonly os: string
  readonly pid?: number
}

/**
 * What differs between the worker client in Node and in a browser, and nothing else: how
 * the worker socket is opened and authenticated, the default logger, what the worker says
 * it is, and the channel ends it makes (with Node streams, or with WHATWG streams).
 */
export interface WorkerPlatform<Reader extends ChannelReader, Writer extends ChannelWriter> {
  /** The worker socket's address for an engine URL as the transport opens it (a browser carries the token in it). */
  socketUrl(engineUrl: string): string
  readonly transport: Transport
  readonly logger: Logger
  readonly description: WorkerDescription
  /** Channel ends open through the engine at `engineUrl`: the one the worker is on when it gets their refs. */
  reader(ref: StreamChannelRef, engineUrl: string): Reader
  writer(ref: StreamChannelRef, engineUrl: string): Writer
}
