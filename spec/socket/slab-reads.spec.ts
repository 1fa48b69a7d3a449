import { expect } from 'chai'
import { firstValueFrom, tap } from 'rxjs'
import WebSocket, { WebSocketServer } from 'ws'
import { openSocket } from '../../lib/socket/connect'
import { slabReadConnection } from '../../lib/socket/slab-reads'

/** Frames of sizes from 1 byte to past a slab, each filled from its index, so a lost, repeated or reordered one shows. */
function framesOf(count: number): Buffer[] {
  const sizes = [1, 1000, 64 * 1024, 64 * 1024 + 7, 200_000, 600 * 1024, 17]
  return Array.from({ length: count }, (_, index) => {
    const frame = Buffer.allocUnsafe(sizes[index % sizes.length])
    for (let at = 0; at < frame.length; at++) frame[at] = (at * 31 + index) & 0xff
    return frame
  })
}

describe('slabReadConnection', () => {
  let server: WebSocketServer
  let url: string
  /** What the server does with each client that connects. */
  let onClient: (ws: WebSocket) => void

  beforeEach(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    server.on('connection', (ws) => onClient(ws))
    await new Promise((resolve) => server.once('listening', resolve))
    url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`
  })

  afterEach(async () => {
    for (const ws of server.clients) ws.terminate()
    await new Promise((resolve) => server.close(resolve))
  })

  /** Opens a client reading into slabs; `received` resolves with its first `count` messages, listened to from the moment it opens. */
  const open = async (count: number, onEach?: (client: WebSocket, received: number) => void) => {
    let received!: Promise<Buffer[]>
    const client = await firstValueFrom(
      openSocket(url, {}, { createConnection: slabReadConnection }).pipe(
        tap((ws) => {
          received = new Promise<Buffer[]>((resolve) => {
            const messages: Buffer[] = []
            ws.on('message', (data: Buffer) => {
              messages.push(data)
              onEach?.(ws, messages.length)
              if (messages.length === count) resolve(messages)
            })
          })
        }),
      ),
    )
    return { client, received }
  }

  it('delivers frames sent with the upgrade and across many slabs intact and in order', async () => {
    const frames = framesOf(70)
    // Sent as soon as the server has the socket, so the first bytes may come with the upgrade response.
    onClient = (ws) => frames.forEach((frame) => ws.send(frame))
    const { client, received } = await open(frames.length)
    ;(await received).forEach((data, index) => expect(data.equals(frames[index]), `frame ${index}`).to.equal(true))
    client.close()
  })

  /** The server answers each text message from the client with `reply(message)`, frame by frame. */
  const replying = (reply: (message: string) => Buffer[]) => (onClient = (ws) => ws.on('message', (data) => reply(String(data)).forEach((frame) => ws.send(frame))))

  it('hands frames that lie within one read on as views of its slab, not copies', async () => {
    const burst = [Buffer.alloc(100 * 1024, 1), ...Array.from({ length: 20 }, (_, index) => Buffer.alloc(10_000, index + 2))]
    replying(() => burst)
    const { client, received } = await open(burst.length)
    client.send('go')
    const frames = await received
    frames.forEach((data, index) => expect(data.equals(burst[index]), `frame ${index}`).to.equal(true))
    // ws copies a frame that spans two reads into a buffer of its own length (10,000 bytes here).
    expect(frames.slice(1).some((data) => data.buffer.byteLength >= 64 * 1024)).to.equal(true)
    client.close()
  })

  it('waits between bursts with a 4 KiB buffer for its next read, not a slab, so an idle reader holds little', async () => {
    const burst = [Buffer.alloc(100 * 1024, 1), ...Array.from({ length: 20 }, (_, index) => Buffer.alloc(10_000, index + 2))]
    replying((message) => (message === 'burst' ? burst : [Buffer.alloc(100, message.length)]))
    const replies: Buffer[] = []
    const { client, received } = await open(1 + burst.length + 2, (ws, count) => {
      if (count === 1) ws.send('burst')
      if (count === 1 + burst.length) ws.send('small')
      if (count === 2 + burst.length) ws.send('small again')
    })
    client.on('message', (data: Buffer) => replies.push(data))
    client.send('hello')
    await received
    // After the upgrade response (a small read) and after a small frame, the next read had 4 KiB of room.
    expect(replies[0].buffer.byteLength).to.be.at.most(4 * 1024)
    expect(replies[replies.length - 1].buffer.byteLength).to.be.at.most(4 * 1024)
    client.close()
  })

  it('keeps what arrives around a pause, in order, for after the resume', async () => {
    const frames = framesOf(40)
    let queued!: () => void
    const allQueued = new Promise<void>((resolve) => (queued = resolve))
    onClient = (ws) =>
      ws.on('message', () => {
        frames.forEach((frame) => ws.send(frame))
        queued()
      })
    const { client, received } = await open(frames.length, (ws, count) => {
      if (count === 3) {
        ws.pause()
        void allQueued.then(() => ws.resume())
      }
    })
    client.send('go')
    const all = await received
    all.forEach((data, index) => expect(data.equals(frames[index]), `frame ${index}`).to.equal(true))
    client.close()
  })
})
