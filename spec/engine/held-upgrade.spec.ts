import { expect } from 'chai'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'net'
import { HeldUpgrade } from '../../lib/engine/held-upgrade'

describe('a held upgrade (a client socket read while its proxied end waits for the home node)', () => {
  let server: Server
  let client: Socket
  let accepted: Promise<Socket>

  beforeEach(async () => {
    let take!: (socket: Socket) => void
    accepted = new Promise((resolve) => (take = resolve))
    server = createServer({ allowHalfOpen: true }, take)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    client = connect((server.address() as AddressInfo).port, '127.0.0.1')
  })

  afterEach(async () => {
    client.destroy()
    ;(await accepted).destroy()
    await new Promise((resolve) => server.close(resolve))
  })

  it('keeps what the client sends early, after the head, for what takes the socket over', async () => {
    const socket = await accepted
    const gone: string[] = []
    const held = new HeldUpgrade(socket, Buffer.from('head;'), 64, (reason) => gone.push(reason))
    const received = new Promise((resolve) => socket.once('data', resolve))
    client.write('early')
    await received
    expect(held.release().toString()).to.equal('head;early')
    expect(gone).to.deep.equal([])
  })

  it('tells when the client half-closes, and when it sends more than it may before the answer', async () => {
    const socket = await accepted
    const halfClosed = new Promise<string>((resolve) => new HeldUpgrade(socket, Buffer.alloc(0), 64, resolve))
    client.end()
    expect(await halfClosed).to.equal('client closed its connection')

    const second = connect((server.address() as AddressInfo).port, '127.0.0.1')
    const secondSocket = await new Promise<Socket>((resolve) => server.once('connection', resolve))
    const flooded = new Promise<string>((resolve) => new HeldUpgrade(secondSocket, Buffer.alloc(0), 64, resolve))
    second.write(Buffer.alloc(65))
    expect(await flooded).to.equal('client sent over 64 bytes before its upgrade was answered')
    second.destroy()
    secondSocket.destroy()
  })
})
