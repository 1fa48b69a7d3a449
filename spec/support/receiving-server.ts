import { firstValueFrom } from 'rxjs'
import type WebSocket from 'ws'
import { WebSocketServer } from 'ws'
import { openSocket } from '../../lib/socket/connect'

export interface ReceivedFrame {
  readonly data: Buffer
  readonly binary: boolean
}

export interface ReceivingServer {
  /** This test's client socket, opened with openSocket to the server. */
  readonly client: () => WebSocket
  /** What the server has received in this test, in order. */
  readonly received: () => readonly ReceivedFrame[]
  /** Resolves once the server has received `count` messages in this test. */
  readonly receivedAll: (count: number) => Promise<void>
}

/** For a suite of sender specs: a ws server on loopback that records what it receives, and a client connected to it, fresh for each test. */
export function useReceivingServer(): ReceivingServer {
  let server: WebSocketServer
  let client: WebSocket
  let received: ReceivedFrame[] = []
  let waiters: Array<() => void> = []

  beforeEach(async () => {
    received = []
    waiters = []
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    server.on('connection', (ws) =>
      ws.on('message', (data: Buffer, binary: boolean) => {
        received.push({ data, binary })
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

  return {
    client: () => client,
    received: () => received,
    receivedAll: (count) => new Promise((resolve) => (received.length >= count ? resolve() : waiters.push(() => received.length >= count && resolve()))),
  }
}
