import { ChannelReader, type ChannelEndOptions } from '../channel/reader'
import { replaceRefs } from '../channel/refs'
import { ChannelWriter } from '../channel/writer'
import type { StreamChannelRef } from '../protocol/refs'
import type { Transport } from '../socket/wire'
import { toReadableStream } from '../web/readable-stream'
import { toWritableStream } from '../web/writable-stream'
import { webSocketTransport } from './web-socket-transport'

/*
 * The ends of a channel as a web page gets them: the ends of lib/channel over the page's
 * WebSocket, plus their WHATWG streams. Chunks are Uint8Arrays.
 */

const transport: Transport = webSocketTransport()

/** A reader whose chunks are also a WHATWG ReadableStream, read from the engine only as fast as it is consumed. */
export class WebChannelReader extends ChannelReader {
  private webStream?: ReadableStream<Uint8Array>

  /** A page cannot pause its socket: the reader asks the engine for the credit mode unless told not to. */
  constructor(ref: StreamChannelRef, options: ChannelEndOptions) {
    super(ref, { readerCredit: true, ...options }, transport)
  }

  get readable(): ReadableStream<Uint8Array> {
    return (this.webStream ??= toReadableStream(this.flow))
  }
}

/** A writer whose chunks also take a WHATWG WritableStream: `ready` waits while the socket holds too much. */
export class WebChannelWriter extends ChannelWriter {
  private webStream?: WritableStream<Uint8Array>

  constructor(ref: StreamChannelRef, options: ChannelEndOptions) {
    super(ref, options, transport)
  }

  get writable(): WritableStream<Uint8Array> {
    return (this.webStream ??= toWritableStream(this.chunks))
  }
}

export type WebChannelEnd = WebChannelReader | WebChannelWriter

/** The live end a ref names: a reader for a read ref, a writer for a write ref. */
export function openChannelEnd(ref: StreamChannelRef, options: ChannelEndOptions): WebChannelEnd {
  return ref.direction === 'read' ? new WebChannelReader(ref, options) : new WebChannelWriter(ref, options)
}

/** Replaces every channel ref at any depth of a JSON payload with a live end; the input is not modified. */
export function materializeRefs(value: unknown, options: ChannelEndOptions): unknown {
  return replaceRefs(value, (ref) => openChannelEnd(ref, options))
}
