import { connect, createServer, type Socket } from 'net'

/** A raw TCP client: what it received until the server closed it. */
export interface RawTcp {
  readonly socket: Socket
  /** Everything the server sent, once it closed the connection. */
  readonly answer: Promise<string>
}

/**
 * Opens a TCP connection to `port` on 127.0.0.1 (from `localAddress`, another loopback address
 * for a second client) and sends `text` once connected: a partial request, a whole one, or ''.
 */
export function rawTcp(port: number, text: string, localAddress = '127.0.0.1'): Promise<RawTcp> {
  const socket = connect({ port, host: '127.0.0.1', localAddress })
  let received = ''
  socket.setEncoding('latin1').on('data', (part: string) => (received += part))
  const answer = new Promise<string>((resolve) => socket.once('close', () => resolve(received)))
  socket.on('error', () => undefined)
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.off('error', reject)
      if (text !== '') socket.write(text)
      resolve({ socket, answer })
    })
  })
}

/** The start of a WebSocket upgrade to `path`, without the blank line that would end it. */
export const halfSentUpgrade = (path = '/') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`

/** A whole WebSocket upgrade request to `path`. */
export const wholeUpgrade = (path = '/') =>
  `${halfSentUpgrade(path)}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`

/** A loopback port nothing listens on: bound once to get a free one, then closed. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
