import { expect } from 'chai'
import { lastValueFrom, take, timeout, toArray } from 'rxjs'
import WebSocket from 'ws'
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
