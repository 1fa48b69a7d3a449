import { expect } from 'chai'
import { randomBytes } from 'crypto'
import type { Socket } from 'net'
import { lastValueFrom, take, timeout, toArray } from 'rxjs'
import WebSocket, { WebSocketServer } from 'ws'
import { tcpSocketOf } from '../../lib/socket/connect'
import { binaryFrame } from '../../lib/socket/frame'
import { FrameSender } from '../../lib/socket/sender'
import { useReceivingServer } from '../support/receiving-server'

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve))

describe('FrameSender', () => {
  const peer = useReceivingServer()
  let client: WebSocket
  const received = () => peer.received().map((frame) => frame.data)
  const { receivedAll } = peer

  beforeEach(() => {
    client = peer.client()
  })

  it('emits written$ as each write completes, and completes it once its socket has closed', async () => {
    const sender = new FrameSender(client)
    const written = lastValueFrom(sender.written$.pipe(toArray(), timeout(5_000)))
    sender.next(binaryFrame(Buffer.from('one')))
    sender.next(binaryFrame(Buffer.from('two')))
    sender.complete()
    expect(await written).to.have.length(2)
    expect(sender.writtenBytes).to.equal(6)
    expect(client.readyState).to.equal(WebSocket.CLOSED)
  })

  const kib = (index: number) => Buffer.alloc(1024, index)

  it('given its TCP socket, gathers the small frames of one tick and writes them on the next, in order', async () => {
    const socket = tcpSocketOf(client)
    const sender = new FrameSender(client, socket)
    const written = lastValueFrom(sender.written$.pipe(take(32), toArray(), timeout(5_000)))
    for (let index = 0; index < 32; index++) sender.next(binaryFrame(kib(index)))
    expect(socket.writableCorked).to.equal(1)
    expect(socket.writableLength).to.be.greaterThan(32 * 1024)
    await nextTick()
    expect(socket.writableCorked).to.equal(0)
    await receivedAll(32)
    expect(received()).to.deep.equal(Array.from({ length: 32 }, (_, index) => kib(index)))
    expect(await written).to.have.length(32)
    expect(sender.writtenBytes).to.equal(32 * 1024)
  })

  it('lets gathered frames out within the tick once they reach 64 KiB', () => {
    const socket = tcpSocketOf(client)
    const sender = new FrameSender(client, socket)
    for (let index = 0; index < 70; index++) sender.next(binaryFrame(kib(index)))
    // The first 64 KiB went to the kernel; only the frames after them wait for the next tick.
    expect(socket.writableLength).to.be.lessThan(8 * 1024)
  })

  it('writes a frame of 64 KiB or more at once, without corking', () => {
    const socket = tcpSocketOf(client)
    const sender = new FrameSender(client, socket)
    sender.next(binaryFrame(Buffer.alloc(64 * 1024)))
    expect(socket.writableCorked).to.equal(0)
  })
})

describe('FrameSender.sendPieces, on a server socket', () => {
  let server: WebSocketServer
  let serverSide: { ws: WebSocket; socket: Socket }
  let client: WebSocket
  let received: Array<{ data: Buffer; binary: boolean }>

  beforeEach(async () => {
    received = []
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
    await new Promise((resolve) => server.once('listening', resolve))
    const connected = new Promise<{ ws: WebSocket; socket: Socket }>((resolve) => server.once('connection', (ws, request) => resolve({ ws, socket: request.socket as Socket })))
    client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`, { perMessageDeflate: false })
    client.on('message', (data: Buffer, binary: boolean) => received.push({ data, binary }))
    serverSide = await connected
  })

  afterEach(async () => {
    client.terminate()
    await new Promise((resolve) => server.close(resolve))
  })

  it('sends each frame of pieces as one binary message, whatever its length class, counted in flight until written', async () => {
    const sender = new FrameSender(serverSide.ws, serverSide.socket)
    expect(sender.takesPieces).to.equal(true)
    const frames = [[randomBytes(1)], [randomBytes(60), randomBytes(65)], [randomBytes(30_000), randomBytes(35_536)], [randomBytes(40_000), randomBytes(1), randomBytes(40_000)]]
    const written = lastValueFrom(sender.written$.pipe(take(frames.length), toArray(), timeout(5_000)))
    for (const pieces of frames) sender.sendPieces(pieces, pieces.reduce((sum, piece) => sum + piece.length, 0))
    expect(sender.inflightFrames).to.equal(frames.length)
    await written
    expect(sender.inflightFrames).to.equal(0)
    expect(sender.writtenBytes).to.equal(1 + 125 + 65_536 + 80_001)
    serverSide.ws.close(1000)
    await new Promise((resolve) => client.once('close', resolve))
    expect(received.map((frame) => frame.binary)).to.deep.equal(frames.map(() => true))
    expect(received.map((frame) => frame.data.toString('hex'))).to.deep.equal(frames.map((pieces) => Buffer.concat(pieces).toString('hex')))
  })

  it('writes the frames sent in inOneWrite together once it returns, in order', async () => {
    const sender = new FrameSender(serverSide.ws, serverSide.socket)
    const frames = [randomBytes(65_536), randomBytes(100_000), randomBytes(10)]
    const written = lastValueFrom(sender.written$.pipe(take(frames.length), toArray(), timeout(5_000)))
    sender.inOneWrite(() => {
      sender.sendPieces([frames[0]], frames[0].length)
      sender.next(binaryFrame(frames[1]))
      sender.sendPieces([frames[2]], frames[2].length)
      // Nothing has left yet: the socket holds all three frames.
      expect(serverSide.socket.writableCorked).to.be.greaterThan(0)
      expect(serverSide.socket.writableLength).to.be.greaterThan(165_000)
    })
    await written
    serverSide.ws.close(1000)
    await new Promise((resolve) => client.once('close', resolve))
    expect(received.map((frame) => frame.data.toString('hex'))).to.deep.equal(frames.map((frame) => frame.toString('hex')))
  })

  it('does not take pieces on a client socket, whose frames must be masked, nor once its socket is closing', async () => {
    if (client.readyState !== WebSocket.OPEN) await new Promise((resolve) => client.once('open', resolve))
    expect(new FrameSender(client, (client as unknown as { _socket: Socket })._socket).takesPieces).to.equal(false)
    const sender = new FrameSender(serverSide.ws, serverSide.socket)
    serverSide.ws.close(1000)
    expect(sender.takesPieces).to.equal(false)
  })
})
