// Text round trips over a direct ws pipe, no engine. `direct.ts server` echoes and prints its
// port; `direct.ts client URL COUNT` prints `RESULT {count,p50Us,p99Us}`.
import { WebSocket, WebSocketServer } from 'ws'
import { replies, timeRoundTrips } from './percentiles'

function server(): void {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false })
  wss.on('listening', () => console.log(`PORT ${(wss.address() as { port: number }).port}`))
  wss.on('connection', (ws) => ws.on('message', (data: Buffer, isBinary) => ws.send(data, { binary: isBinary })))
}

function client(url: string, count: number): void {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  const { roundTrip, onReply } = replies((message) => ws.send(message))
  ws.on('message', onReply)
  ws.on('open', () => {
    void timeRoundTrips(roundTrip, count).then((result) => {
      console.log(`RESULT ${JSON.stringify(result)}`)
      ws.close(1000)
    })
  })
}

// Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
process.once('SIGINT', () => process.exit(0))
if (process.argv[2] === 'server') server()
else client(process.argv[3], Number(process.argv[4]))
