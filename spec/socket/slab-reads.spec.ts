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

  it('hands a frame that lies within one read on as a view of its slab, not a copy', async () => {
    onClient = (ws) => ws.on('message', () => ws.send(Buffer.alloc(1000, 7)))
    const { client, received } = await open(1)
    client.send('go')
    const [data] = await received
    expect(data.equals(Buffer.alloc(1000, 7))).to.equal(true)
    expect(data.buffer.byteLength).to.be.at.least(64 * 1024)
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
