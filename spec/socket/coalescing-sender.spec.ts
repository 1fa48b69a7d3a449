import { expect } from 'chai'
import WebSocket from 'ws'
import { CoalescingSender } from '../../lib/socket/coalescing-sender'
import { tcpSocketOf } from '../../lib/socket/connect'
import { useReceivingServer } from '../support/receiving-server'

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve))

describe('CoalescingSender', () => {
  const peer = useReceivingServer()
  let client: WebSocket
  const received = () => peer.received().map((frame) => frame.data.toString('utf8'))
  const { receivedAll } = peer

  beforeEach(() => {
    client = peer.client()
  })

  it('holds the messages of one tick, then writes them together, in order', async () => {
    const socket = tcpSocketOf(client)
    const sender = new CoalescingSender(client, socket)
    for (const text of ['a', 'b', 'c']) sender.send(text)
    expect(socket.writableCorked).to.equal(1)
    expect(socket.writableLength).to.be.greaterThan(0)

    await nextTick()
    expect(socket.writableCorked).to.equal(0)
    await receivedAll(3)
    expect(received()).to.deep.equal(['a', 'b', 'c'])
  })

  it('writes every 16th message at once, so a long burst leaves in several writes', async () => {
    const socket = tcpSocketOf(client)
    const sender = new CoalescingSender(client, socket)
    const texts = Array.from({ length: 40 }, (_, index) => `message ${index}`)
    for (const text of texts.slice(0, 16)) sender.send(text)
    // The first 16 went to the kernel; the socket is corked again for the rest of the tick.
    expect(socket.writableLength).to.equal(0)
    expect(socket.writableCorked).to.equal(1)
    for (const text of texts.slice(16)) sender.send(text)
    expect(socket.writableLength).to.be.greaterThan(0)

    await nextTick()
    await receivedAll(40)
    expect(received()).to.deep.equal(texts)
  })

  it('tcpSocketOf refuses a socket that openSocket did not open', () => {
    const stray = new WebSocket(client.url)
    stray.on('error', () => undefined)
    expect(() => tcpSocketOf(stray)).to.throw(/not opened by openSocket/)
    stray.terminate()
  })
})
