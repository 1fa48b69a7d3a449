// The practical limit for a relay: one ws client streaming straight to one ws server, in
// two processes, no engine between. `direct.ts server` prints its port, then the result of
// the first transfer; `direct.ts client URL MiB` sends MiB in 64 KiB frames.
import { WebSocket, WebSocketServer } from 'ws'

const FRAME = 64 * 1024

function server(): void {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 1024 * 1024 })
  wss.on('listening', () => console.log(`PORT ${(wss.address() as { port: number }).port}`))
  wss.on('connection', (ws) => {
    let bytes = 0
    let started = 0n
    ws.on('message', (data: Buffer) => {
      if (started === 0n) started = process.hrtime.bigint()
      bytes += data.length
    })
    ws.on('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      console.log(`RESULT ${JSON.stringify({ bytes, seconds })}`)
      wss.close()
    })
  })
}

function client(url: string, sizeMiB: number): void {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  const frame = Buffer.alloc(FRAME, 7)
  const total = (sizeMiB * 1024 * 1024) / FRAME
  let sent = 0
  let inFlight = 0
  // Credit from send callbacks, as the SDK does: at most 16 frames handed to the socket.
  const pump = () => {
    while (inFlight < 16 && sent < total) {
      sent++
      inFlight++
      ws.send(frame, { binary: true }, () => {
        inFlight--
        if (sent === total && inFlight === 0) ws.close(1000)
        else pump()
      })
    }
  }
  ws.on('open', pump)
}

// Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
process.once('SIGINT', () => process.exit(0))
if (process.argv[2] === 'server') server()
else client(process.argv[3], Number(process.argv[4]))
