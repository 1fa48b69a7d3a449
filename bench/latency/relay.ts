// The least a relay process can do: text round trips through a process that forwards each
// frame to the socket paired with the one it came in on, nothing more (no keys, no flow
// control). It sits between the direct pipe and the engine so that the engine's own cost
// shows apart from the cost of a second hop each way. Ends on four sockets as through the
// engine: the ping writes on `/out/write` and reads `/back/read`, the echo reads `/out/read`
// and writes `/back/write`.
// `relay.ts relay` prints its port; `relay.ts echo URL` prints READY once connected;
// `relay.ts ping URL COUNT` prints `RESULT {count,p50Us,p99Us}`.
import { WebSocket, WebSocketServer } from 'ws'
import { replies, timeRoundTrips } from './percentiles'

function relay(): void {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false })
  const readers = new Map<string, WebSocket>()
  wss.on('listening', () => console.log(`PORT ${(wss.address() as { port: number }).port}`))
  wss.on('connection', (ws, request) => {
    const [, channel, direction] = (request.url ?? '').split('/')
    if (direction === 'read') readers.set(channel, ws)
    else ws.on('message', (data: Buffer, isBinary) => readers.get(channel)?.send(data, { binary: isBinary }))
  })
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

async function echo(url: string): Promise<void> {
  const [reader, writer] = [await open(`${url}/out/read`), await open(`${url}/back/write`)]
  reader.on('message', (data: Buffer, isBinary) => writer.send(data, { binary: isBinary }))
  console.log('READY')
}

async function ping(url: string, count: number): Promise<void> {
  const [reader, writer] = [await open(`${url}/back/read`), await open(`${url}/out/write`)]
  const { roundTrip, onReply } = replies((message) => writer.send(message))
  reader.on('message', onReply)
  console.log(`RESULT ${JSON.stringify(await timeRoundTrips(roundTrip, count))}`)
  reader.close(1000)
  writer.close(1000)
}

// Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
process.once('SIGINT', () => process.exit(0))
const [, , role, url, count] = process.argv
if (role === 'relay') relay()
else if (role === 'echo') void echo(url)
else void ping(url, Number(count))
