import type WebSocket from 'ws'
import { unmaskAt } from './unmask'

/** A whole binary frame taken off the wire: its unmasked payload as views of the socket's reads, `length` bytes in all. */
export type BinaryFrameSink = (pieces: readonly Buffer[], length: number) => void

type WriteCallback = (error?: Error | null) => void

/** The parts of ws's frame parser (its private `Receiver`, a Writable fed the socket's reads) the intake relies on. */
interface WsReceiver {
  _write(chunk: Buffer, encoding: BufferEncoding, callback: WriteCallback): void
  readonly _state: number
  readonly _bufferedBytes: number
  readonly _fragmented: number
  readonly _errored: boolean
  readonly _isServer: boolean
  readonly _maxPayload: number
  readonly _allowSynchronousEvents: boolean
  readonly _extensions: Record<string, unknown>
}

/** ws's parser state between frames. */
const WS_GET_INFO = 0
const BINARY_OPCODE = 0x02
const CLOSE_OPCODE = 0x08
const MAX_HEADER_BYTES = 14

/**
 * Takes whole, unfragmented binary frames from a server socket's reads before ws's parser
 * sees them, and hands them to `sink` as views of the reads, unmasked in place: ws would
 * first copy every frame that spans two reads (a 64 KiB frame always does) into a new
 * buffer. Every other frame (text, fragments, control frames, anything malformed or over
 * ws's size limit) is passed to ws's parser byte for byte, so pings, pongs, closes, limits
 * and protocol errors stay ws's, with its close codes; after a close frame or an error
 * everything goes to ws. Returns the detach function (frames taken afterwards are dropped,
 * as ws drops messages nobody listens to), or undefined where ws's parser is not in the state
 * this relies on: then ws parses everything, as before.
 */
export function takeBinaryFrames(ws: WebSocket, sink: BinaryFrameSink): (() => void) | undefined {
  const receiver = (ws as unknown as { _receiver?: WsReceiver })._receiver
  if (!receiver || !parsesLikeThis(receiver)) return undefined
  const intake = new BinaryFrameIntake(receiver, receiver._write, sink)
  receiver._write = (chunk, encoding, callback) => intake.write(chunk, encoding, callback)
  return () => intake.detach()
}

/** A server parser without extensions, events emitted synchronously, and between frames with nothing buffered. */
function parsesLikeThis(receiver: WsReceiver): boolean {
  return (
    typeof receiver._write === 'function' &&
    receiver._isServer === true &&
    receiver._allowSynchronousEvents === true &&
    Object.keys(receiver._extensions ?? {}).length === 0 &&
    receiver._state === WS_GET_INFO &&
    receiver._bufferedBytes === 0 &&
    receiver._fragmented === 0 &&
    receiver._errored === false &&
    typeof receiver._maxPayload === 'number'
  )
}

class BinaryFrameIntake {
  private readonly header = Buffer.alloc(MAX_HEADER_BYTES)
  private headerBytes = 0
  /** Where the bytes of the current frame go: its header is being read, it is taken here, or ws parses it; or ws parses all from now on. */
  private route: 'header' | 'taken' | 'ws' | 'ws only' = 'header'
  /** Payload bytes of the current frame still to come. */
  private remaining = 0
  private readonly mask = Buffer.alloc(4)
  private pieces: Buffer[] = []
  private length = 0
  /** Whether ws is inside a fragmented message: its continuation frames must reach ws too. */
  private fragmented = false
  private sink?: BinaryFrameSink

  constructor(
    private readonly receiver: WsReceiver,
    private readonly parse: WsReceiver['_write'],
    sink: BinaryFrameSink,
  ) {
    this.sink = sink
  }

  detach(): void {
    this.sink = undefined
  }

  write(chunk: Buffer, encoding: BufferEncoding, callback: WriteCallback): void {
    let failure: Error | undefined
    const toWs = (bytes: Buffer) => {
      this.parse.call(this.receiver, bytes, encoding, (error) => {
        if (error) failure = error
      })
      if (failure || this.receiver._errored) this.route = 'ws only'
    }
    let at = 0
    while (at < chunk.length && failure === undefined) {
      if (this.route === 'ws only') {
        toWs(at === 0 ? chunk : chunk.subarray(at))
        break
      }
      if (this.route === 'header') {
        at = this.readHeader(chunk, at, toWs)
        continue
      }
      const end = at + Math.min(this.remaining, chunk.length - at)
      const piece = chunk.subarray(at, end)
      at = end
      this.remaining -= piece.length
      if (this.route === 'ws') {
        if (this.remaining === 0) this.route = 'header'
        toWs(piece)
        continue
      }
      unmaskAt(piece, this.mask, this.length - this.remaining - piece.length)
      this.pieces.push(piece)
      if (this.remaining === 0) this.deliver()
    }
    callback(failure)
  }

  /**
   * Reads the header at `at` in `chunk`, where it usually lies whole, else gathers its bytes
   * across reads; once it is whole, routes its frame. Returns where reading stopped.
   */
  private readHeader(chunk: Buffer, at: number, toWs: (bytes: Buffer) => void): number {
    if (this.headerBytes === 0 && chunk.length - at >= 2) {
      const size = headerLength(chunk, at)
      if (chunk.length - at >= size) {
        this.routeFrame(chunk, at, size, toWs)
        return at + size
      }
    }
    const header = this.header
    // Byte by byte: at most 14 bytes, fewer than a call to Buffer#copy costs.
    while (at < chunk.length && (this.headerBytes < 2 || this.headerBytes < headerLength(header, 0))) header[this.headerBytes++] = chunk[at++]
    if (this.headerBytes < 2 || this.headerBytes < headerLength(header, 0)) return at
    const size = this.headerBytes
    this.headerBytes = 0
    this.routeFrame(header, 0, size, toWs)
    return at
  }

  /** Routes the frame whose whole header is the `size` bytes at `start` in `bytes`. */
  private routeFrame(bytes: Buffer, start: number, size: number, toWs: (bytes: Buffer) => void): void {
    const first = bytes[start]
    const fin = (first & 0x80) !== 0
    const opcode = first & 0x0f
    const length = payloadLength(bytes, start)
    const max = this.receiver._maxPayload
    const takes =
      fin &&
      (first & 0x70) === 0 &&
      opcode === BINARY_OPCODE &&
      (bytes[start + 1] & 0x80) !== 0 &&
      !this.fragmented &&
      length > 0 &&
      (max === 0 || length <= max)
    if (takes) {
      for (let index = 0; index < 4; index++) this.mask[index] = bytes[start + size - 4 + index]
      this.route = 'taken'
      this.remaining = length
      this.length = length
      return
    }
    if (opcode <= BINARY_OPCODE) this.fragmented = !fin
    this.route = opcode === CLOSE_OPCODE ? 'ws only' : length > 0 ? 'ws' : 'header'
    this.remaining = length
    // A gathered header is copied: its buffer is reused for the next frame, and ws may keep what it is given.
    toWs(bytes === this.header ? Buffer.from(bytes.subarray(0, size)) : bytes.subarray(start, start + size))
  }

  private deliver(): void {
    const pieces = this.pieces
    this.pieces = []
    this.route = 'header'
    this.sink?.(pieces, this.length)
  }
}

/** Header bytes, extended length and mask key included, of the frame whose first two bytes are at `start`. */
function headerLength(bytes: Buffer, start: number): number {
  const second = bytes[start + 1]
  const length7 = second & 0x7f
  const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0
  return 2 + extended + ((second & 0x80) !== 0 ? 4 : 0)
}

/** The payload length the whole header at `start` states; beyond 2^32 it is Infinity, over any limit (ws rejects it itself). */
function payloadLength(bytes: Buffer, start: number): number {
  const length7 = bytes[start + 1] & 0x7f
  if (length7 < 126) return length7
  if (length7 === 126) return bytes.readUInt16BE(start + 2)
  return bytes.readUInt32BE(start + 2) === 0 ? bytes.readUInt32BE(start + 6) : Infinity
}
