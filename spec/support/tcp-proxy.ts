import { createServer, connect, type AddressInfo, type Socket } from 'net'

/** A TCP proxy on a loopback port, between clients and `target`, that can cut connections on one side. */
export interface TcpProxy {
  /** `ws://127.0.0.1:PORT`: the target's address, through the proxy. */
  readonly url: string
  /** Bytes the target has sent towards clients, taken from it as fast as it sends them. */
  bytesToClients(): number
  /**
   * Destroys the client side of every open connection and nothing else: the target still
   * holds an open socket, as after a network fault seen by the client only.
   */
  cutClientSides(): void
  close(): Promise<void>
}

/** Starts a proxy to the WebSocket server at `targetUrl` (ws://host:port). */
export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl)
  const pairs = new Set<{ client: Socket; upstream: Socket }>()
  let toClients = 0
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname)
    const pair = { client, upstream }
    pairs.add(pair)
    const forget = () => pairs.delete(pair)
    client.on('data', (data) => upstream.write(data))
    upstream.on('data', (data: Buffer) => {
      toClients += data.length
      client.write(data)
    })
    client.on('end', () => upstream.end())
    upstream.on('end', () => client.end())
    client.on('close', () => {
      forget()
      upstream.destroy()
    })
    upstream.on('close', () => {
      forget()
      client.destroy()
    })
    client.on('error', () => undefined)
    upstream.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const cut = new Set<Socket>()
  return {
    url: `ws://127.0.0.1:${port}`,
    bytesToClients: () => toClients,
    cutClientSides: () => {
      for (const pair of [...pairs]) {
        pairs.delete(pair)
        // The upstream socket stays open and keeps being read; what the target sends goes nowhere.
        pair.client.removeAllListeners('close')
        pair.upstream.removeAllListeners('data').removeAllListeners('end').removeAllListeners('close')
        pair.upstream.on('data', () => undefined)
        cut.add(pair.upstream)
        pair.client.destroy()
      }
    },
    close: async () => {
      for (const { client, upstream } of pairs) {
        client.destroy()
        upstream.destroy()
      }
      for (const upstream of cut) upstream.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
