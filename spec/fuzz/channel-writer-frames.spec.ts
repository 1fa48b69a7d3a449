import { expect } from 'chai'
import { randomBytes } from 'crypto'
import fc from 'fast-check'
import type { Socket } from 'net'
import WebSocket from 'ws'
import { takeBinaryFrames } from '../../lib/socket/binary-frame-intake'
import { channelUrl } from '../../lib/protocol/channel-url'
import { createRawChannel, openRaw, useEngine } from '../support/engine'

// Seeded, so a failure replays exactly: FUZZ_SEED=<seed> npm test. fast-check shrinks a failing case.
const SEED = Number(process.env.FUZZ_SEED ?? 20_251_202)
const MAX_PAYLOAD = 70_000

/** One frame as a writer could put it on the wire, well-formed or not. */
interface WireFrame {
  readonly fin: boolean
  readonly rsv: number
  readonly opcode: number
  readonly masked: boolean
  readonly payload: Buffer
  /** A stated length other than the payload's: what a hostile header claims. */
  readonly statedLength?: number
}

function encode(frame: WireFrame): Buffer {
  const length = frame.statedLength ?? frame.payload.length
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8
  const header = Buffer.alloc(2 + extended + (frame.masked ? 4 : 0))
  header[0] = (frame.fin ? 0x80 : 0) | (frame.rsv << 4) | frame.opcode
  header[1] = (frame.masked ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127)
  if (extended === 2) header.writeUInt16BE(length, 2)
  if (extended === 8) {
    header.writeUInt32BE(Math.floor(length / 0x100000000), 2)
    header.writeUInt32BE(length >>> 0, 6)
  }
  const payload = Buffer.from(frame.payload)
  if (frame.masked) {
    const mask = randomBytes(4)
    mask.copy(header, header.length - 4)
    for (let index = 0; index < payload.length; index++) payload[index] ^= mask[index & 3]
  }
  return Buffer.concat([header, payload])
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((array) => Buffer.from(array))
const sized = fc.oneof(fc.constantFrom(0, 1, 125, 126, 127, 65_535, 65_536, 65_537, MAX_PAYLOAD), fc.integer({ min: 0, max: 2000 }))
const payloadOf = (length: number) => randomBytes(length)

const binary = sized.map((length): WireFrame[] => [{ fin: true, rsv: 0, opcode: 2, masked: true, payload: payloadOf(length) }])
const text = fc.string({ maxLength: 200 }).map((value): WireFrame[] => [{ fin: true, rsv: 0, opcode: 1, masked: true, payload: Buffer.from(value) }])
const control = fc.tuple(fc.constantFrom(9, 10), bytes(125)).map(([opcode, payload]): WireFrame[] => [{ fin: true, rsv: 0, opcode, masked: true, payload }])
/** A message in fragments, with a ping between them. */
const fragmented = fc.tuple(fc.constantFrom(1, 2), fc.array(fc.integer({ min: 0, max: 70_000 / 4 }), { minLength: 2, maxLength: 4 })).map(([opcode, lengths]): WireFrame[] =>
  lengths.flatMap((length, index) => [
    { fin: index === lengths.length - 1, rsv: 0, opcode: index === 0 ? opcode : 0, masked: true, payload: opcode === 1 ? Buffer.from('x'.repeat(length)) : payloadOf(length) },
    ...(index === 0 ? [{ fin: true, rsv: 0, opcode: 9, masked: true, payload: Buffer.from('ping') }] : []),
  ]),
)
const valid = fc.oneof({ arbitrary: binary, weight: 4 }, text, control, fragmented)

/** Frames a hostile or broken writer sends: reserved bits, no mask, unknown opcodes, stray continuations, lengths over the limit, invalid UTF-8. */
const hostile = fc.oneof(
  fc.record({ fin: fc.boolean(), rsv: fc.integer({ min: 0, max: 7 }), opcode: fc.integer({ min: 0, max: 15 }), masked: fc.boolean(), payload: bytes(300) }),
  fc.integer({ min: MAX_PAYLOAD + 1, max: 2 ** 40 }).map((statedLength): WireFrame => ({ fin: true, rsv: 0, opcode: 2, masked: true, payload: randomBytes(10), statedLength })),
  fc.constant<WireFrame>({ fin: true, rsv: 0, opcode: 1, masked: true, payload: Buffer.from([0xff, 0xfe]) }),
).map((frame): WireFrame[] => [frame])
/** A whole binary frame inside a fragmented message: ws must see it, to refuse it. */
const interrupting = sized.map((length): WireFrame[] => [
  { fin: false, rsv: 0, opcode: 2, masked: true, payload: payloadOf(100) },
  { fin: true, rsv: 0, opcode: 2, masked: true, payload: payloadOf(length) },
])

const closing = fc.constantFrom<WireFrame[]>([], [{ fin: true, rsv: 0, opcode: 8, masked: true, payload: Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]) }])

/** The stream cut at random places, as TCP may hand it over. */
function cut(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((at) => at % (stream.length + 1)))].sort((a, b) => a - b)
  const pieces: Buffer[] = []
  let from = 0
  for (const point of [...points, stream.length]) {
    if (point > from) pieces.push(stream.subarray(from, point))
    from = Math.max(from, point)
  }
  return pieces
}

type Event = readonly [string, ...unknown[]]

/** What ws's own parser makes of `chunks`, or, with the intake in front of it, what both make of them together. */
function parseWith(chunks: readonly Buffer[], intake: boolean): Event[] {
  const Receiver = (WebSocket as unknown as { Receiver: new (options: object) => NodeJS.EventEmitter & { write(chunk: Buffer): boolean } }).Receiver
  const receiver = new Receiver({ isServer: true, maxPayload: MAX_PAYLOAD, allowSynchronousEvents: true })
  const events: Event[] = []
  receiver.on('message', (data: Buffer, isBinary: boolean) => events.push(['message', isBinary, data.toString('hex')]))
  receiver.on('ping', (data: Buffer) => events.push(['ping', data.toString('hex')]))
  receiver.on('pong', (data: Buffer) => events.push(['pong', data.toString('hex')]))
  receiver.on('conclude', (code: number, reason: Buffer) => events.push(['conclude', code, reason.toString()]))
  let failed = false
  receiver.on('error', (error: Error & { code?: string }) => {
    failed = true
    events.push(['error', error.code])
  })
  if (intake) {
    const detach = takeBinaryFrames({ _receiver: receiver } as unknown as WebSocket, (pieces, length) => {
      const data = Buffer.concat(pieces)
      expect(data.length).to.equal(length)
      events.push(['message', true, data.toString('hex')])
    })
    expect(detach).to.be.a('function')
  }
  // Copies: both parsers unmask in place.
  for (const chunk of chunks) if (!failed) receiver.write(Buffer.from(chunk))
  return events
}

describe('fuzz: binary frames taken before ws parses them (takeBinaryFrames)', () => {
  it('yields the same messages, pings, pongs, closes and errors as ws alone, however the stream is cut', () => {
    const stream = fc.tuple(fc.array(fc.oneof({ arbitrary: valid, weight: 6 }, hostile, interrupting), { maxLength: 12 }), closing, valid)
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 40 }), ([frames, close, after], cuts) => {
        const wire = Buffer.concat([...frames.flat(), ...close, ...after].map(encode))
        const chunks = cut(wire, cuts)
        expect(parseWith(chunks, true)).to.deep.equal(parseWith(chunks, false))
      }),
      { seed: SEED, numRuns: 300 },
    )
  })

  it('takes a 64 KiB frame cut into one-byte reads whole, unmasked right', () => {
    const payload = randomBytes(65_536)
    const wire = encode({ fin: true, rsv: 0, opcode: 2, masked: true, payload })
    const chunks = Array.from({ length: wire.length }, (_, index) => wire.subarray(index, index + 1))
    expect(parseWith(chunks, true)).to.deep.equal([['message', true, payload.toString('hex')]])
  })
})

describe('fuzz: a channel writer writing raw frames through the engine', () => {
  const context = useEngine({ maxFrameBytes: MAX_PAYLOAD })

  async function channelEnds(): Promise<{ writer: WebSocket; reader: Awaited<ReturnType<typeof openRaw>> }> {
    const pair = await createRawChannel(context.url)
    const reader = await openRaw(channelUrl(context.url, pair.reader))
    const writer = (await openRaw(channelUrl(context.url, pair.writer))).ws
    return { writer, reader }
  }

  async function writeCut(writer: WebSocket, wire: Buffer, cuts: readonly number[]): Promise<void> {
    const socket = (writer as unknown as { _socket: Socket })._socket
    for (const chunk of cut(wire, cuts)) await new Promise<void>((resolve) => socket.write(chunk, () => resolve()))
  }

  it('delivers every binary and text frame whole and in order, however the writer cuts its stream', async () => {
    const stream = fc.array(fc.oneof({ arbitrary: binary, weight: 4 }, text, control), { minLength: 1, maxLength: 10 })
    await fc.assert(
      fc.asyncProperty(stream, fc.array(fc.nat(), { maxLength: 30 }), async (groups, cuts) => {
        const frames = groups.flat()
        const { writer, reader } = await channelEnds()
        const close: WireFrame = { fin: true, rsv: 0, opcode: 8, masked: true, payload: Buffer.from([0x03, 0xe8]) }
        await writeCut(writer, Buffer.concat([...frames, close].map(encode)), cuts)
        expect((await reader.closed).code).to.equal(1000)
        const data = frames.filter((frame) => frame.opcode === 1 || frame.opcode === 2)
        expect(reader.frames.map((frame) => [frame.binary, frame.data.toString('hex')])).to.deep.equal(
          data.map((frame) => [frame.opcode === 2, frame.payload.toString('hex')]),
        )
      }),
      { seed: SEED, numRuns: 15 },
    )
  })

  it('closes a writer that breaks the protocol mid-stream with its close code, delivers what came before, and keeps relaying others', async () => {
    const cases: Array<{ frame: WireFrame; code: number }> = [
      { frame: { fin: true, rsv: 0, opcode: 2, masked: false, payload: randomBytes(10) }, code: 1002 },
      { frame: { fin: true, rsv: 2, opcode: 2, masked: true, payload: randomBytes(10) }, code: 1002 },
      { frame: { fin: true, rsv: 0, opcode: 0, masked: true, payload: randomBytes(10) }, code: 1002 },
      { frame: { fin: true, rsv: 0, opcode: 2, masked: true, payload: randomBytes(10), statedLength: MAX_PAYLOAD + 1 }, code: 1009 },
    ]
    for (const { frame, code } of cases) {
      const { writer, reader } = await channelEnds()
      const before = randomBytes(65_536)
      const writerClosed = new Promise<number>((resolve) => writer.once('close', resolve))
      await writeCut(writer, Buffer.concat([encode({ fin: true, rsv: 0, opcode: 2, masked: true, payload: before }), encode(frame)]), [1000, 65_000])
      // ws reports 1006 on the side that received no close frame back; the engine's reason names the close it sent.
      expect(await writerClosed).to.be.oneOf([code, 1006])
      const readerClose = await reader.closed
      expect(readerClose.code).to.not.equal(1000)
      expect(reader.frames.map((received) => received.data.equals(before))).to.deep.equal([true])
    }
    const { writer, reader } = await channelEnds()
    writer.send(randomBytes(65_536))
    writer.close(1000)
    expect((await reader.closed).code).to.equal(1000)
    expect(reader.frames).to.have.length(1)
  })
})
