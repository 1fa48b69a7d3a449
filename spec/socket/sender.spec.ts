import { expect } from 'chai'
import { firstValueFrom, lastValueFrom, timeout, toArray } from 'rxjs'
import WebSocket, { WebSocketServer } from 'ws'
import { openSocket } from '../../lib/socket/connect'
import { binaryFrame } from '../../lib/socket/frame'
import { FrameSender } from '../../lib/socket/sender'

describe('FrameSender', () => {
  let server: WebSocketServer
  let client: WebSocket

  beforeEach(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise((resolve) => server.once('listening', resolve))
    client = await firstValueFrom(openSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`))
  })

  afterEach(async () => {
    client.terminate()
    await new Promise((resolve) => server.close(resolve))
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
})
