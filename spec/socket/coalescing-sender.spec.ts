import { expect } from 'chai'
import { firstValueFrom } from 'rxjs'
import WebSocket, { WebSocketServer } from 'ws'
import { CoalescingSender } from '../../lib/socket/coalescing-sender'
import { openSocket, tcpSocketOf } from '../../lib/socket/connect'

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve))

describe('CoalescingSender', () => {
  let server: WebSocketServer
  let received: string[]
  let receivedAll: (count: number) => Promise<void>
  let client: WebSocket

  beforeEach(async () => {
    received = []
    const waiters: Array<() => void> = []
    receivedAll = (count) => new Promise((resolve) => (received.length >= count ? resolve() : waiters.push(() => received.length >= count && resolve())))
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    server.on('connection', (ws) =>
      ws.on('message', (data: Buffer) => {
        received.push(data.toString('utf8'))
        for (const waiter of waiters) waiter()
      }),
    )
    await new Promise((resolve) => server.once('listening', resolve))
    client = await firstValueFrom(openSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`))
  })

  afterEach(async () => {
    client.terminate()
    await new Promise((resolve) => server.close(resolve))
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
    expect(received).to.deep.equal(['a', 'b', 'c'])
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
    expect(received).to.deep.equal(texts)
  })

  it('tcpSocketOf refuses a socket that openSocket did not open', () => {
    const stray = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`)
    stray.on('error', () => undefined)
    expect(() => tcpSocketOf(stray)).to.throw(/not opened by openSocket/)
    stray.terminate()
  })
})
