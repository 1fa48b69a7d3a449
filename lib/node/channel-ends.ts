import type { Observable } from 'rxjs'
import type { Readable, Writable } from 'stream'
import { ChannelReader, type ChannelEndOptions } from '../channel/reader'
import { replaceRefs } from '../channel/refs'
import { ChannelWriter } from '../channel/writer'
import type { Flow } from '../flow/flow'
import type { StreamChannelRef } from '../protocol/refs'
import { toReadable } from './readable'
import { toWritable } from './writable'
import { wsTransport } from './ws-transport'

/*
 * The ends of a channel as Node code gets them: the ends of lib/channel plus their Node
 * streams. The streams live here, not in lib/channel, so that the channel core needs nothing
 * of Node and a browser build can leave this folder out. The public ChannelReader and
 * ChannelWriter, and every end the SDK makes, are these. Their sockets are ws's (see
 * ws-transport.ts), so their chunks are Buffers.
 */

/** A {@link ChannelReader} with a Node Readable of its chunks, and `for await`. */
export class NodeChannelReader extends ChannelReader {
  declare readonly chunks$: Observable<Buffer>
  declare readonly flow: Flow<Buffer>
  private nodeStream?: Readable

  constructor(ref: StreamChannelRef, options: ChannelEndOptions) {
    super(ref, options, wsTransport(options.connect))
  }

  override async readAll(): Promise<Buffer> {
    const all = await super.readAll()
    return Buffer.from(all.buffer, all.byteOffset, all.byteLength)
  }

  /** A Node Readable of the chunks, read from the socket only as fast as it is consumed. */
  get stream(): Readable {
    return (this.nodeStream ??= toReadable(this.flow))
  }

  /** `for await (const chunk of reader)`: one chunk at a time; breaking out releases the channel. */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this.stream[Symbol.asyncIterator]()
  }
}

/** A {@link ChannelWriter} with a Node Writable over its chunks. */
export class NodeChannelWriter extends ChannelWriter {
  private nodeStream?: Writable

  constructor(ref: StreamChannelRef, options: ChannelEndOptions) {
    super(ref, options, wsTransport(options.connect))
  }

  /** A Node Writable: `write()` returns false while saturated and `'drain'` follows. */
  get stream(): Writable {
    return (this.nodeStream ??= toWritable(this.chunks))
  }
}

export type ChannelEnd = NodeChannelReader | NodeChannelWriter

/** The live end a ref names: a reader for a read ref, a writer for a write ref. */
export function openChannelEnd(ref: StreamChannelRef, options: ChannelEndOptions): ChannelEnd {
  return ref.direction === 'read' ? new NodeChannelReader(ref, options) : new NodeChannelWriter(ref, options)
}

/**
 * Replaces every channel ref found at any depth of a JSON payload (in objects and arrays)
 * with a live end. Other values are returned as they are; the input is not modified.
 */
export function materializeRefs(value: unknown, options: ChannelEndOptions): unknown {
  return replaceRefs(value, (ref) => openChannelEnd(ref, options))
}
