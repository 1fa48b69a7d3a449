import type { Duplex } from 'stream'
import WebSocket from 'ws'

/** Binary frames at least this large are masked into a pooled buffer; smaller ones come from Node's own buffer pool anyway. */
export const POOLED_FRAME_MIN_BYTES = 32 * 1024
/** The size of each pooled buffer: the largest frame a channel writer sends. */
const POOLED_BUFFER_BYTES = 64 * 1024
/**
 * Free buffers kept for reuse by all writers of the process (2 MiB at most, however many
 * channels): a writer keeps about 1 MiB in flight, and what the pool cannot keep is left to
 * the GC as ws's own copies were.
 */
const MAX_FREE_BUFFERS = 32
const free: Buffer[] = []

/** ws's frame encoder (header and masking key); exported by ws at runtime, untyped in @types/ws. */
type FrameEncoder = (data: Buffer, options: { fin: boolean; mask: boolean; opcode: number; readOnly: boolean; rsv1: boolean }) => Buffer[]
const encodeFrame = (WebSocket as unknown as { Sender?: { frame?: FrameEncoder } }).Sender?.frame
const BINARY_OPCODE = 0x02

/**
 * Sends large binary frames of a client socket without a new buffer per frame. ws masks a
 * frame into a buffer it allocates each time (it may not change the caller's): 64 KiB of
 * memory outside V8's heap per frame, which only V8's collections free, and in a small
 * heap that pressure runs a full collection every few tens of MiB. Here the data is copied
 * into a buffer of a small pool shared by the process's writers, masked there in place
 * (with ws's random key, as ws would), written to the TCP socket in the order ws writes its
 * own frames (ws writes at once: no compression, no queued blobs on channel sockets), and
 * the buffer is reused once its write completes.
 */
export class MaskedFrames {
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
  ) {}

  /** Whether {@link send} takes this frame: a large binary frame on an open socket, with ws's encoder available. */
  takes(data: Buffer, binary: boolean): boolean {
    return binary && encodeFrame !== undefined && data.length >= POOLED_FRAME_MIN_BYTES && data.length <= POOLED_BUFFER_BYTES && this.ws.readyState === WebSocket.OPEN
  }

  /** Sends one frame that {@link takes} accepted; `done` is called once its write completed or failed. */
  send(data: Buffer, done: () => void): void {
    const buffer = free.pop() ?? Buffer.allocUnsafe(POOLED_BUFFER_BYTES)
    const payload = buffer.subarray(0, data.copy(buffer))
    const [header, masked] = (encodeFrame as FrameEncoder)(payload, { fin: true, mask: true, opcode: BINARY_OPCODE, readOnly: false, rsv1: false })
    this.socket.cork()
    this.socket.write(header)
    this.socket.write(masked, () => {
      if (free.length < MAX_FREE_BUFFERS) free.push(buffer)
      done()
    })
    this.socket.uncork()
  }
}
