// The practical limit for a relay: one ws client streaming straight to one ws server, in
// two processes, no engine between. `direct.ts server BYTES` prints its port, then the result
// of the first transfer; `direct.ts client URL BYTES FRAME_BYTES` connects and, once the server
// asks for the transfer (the clock starts then, as a relayed transfer's starts at its request),
// sends BYTES of the pattern in FRAME_BYTES frames. The server checks every byte. Each prints
// the CPU time it spent on the transfer.
import { WebSocket, WebSocketServer } from 'ws'
import { ownCpuSeconds } from '../support/cpu'
import { PatternCheck, patternFrames } from '../support/pattern'

function server(bytes: number): void {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 1024 * 1024 })
  wss.on('listening', () => console.log(`PORT ${(wss.address() as { port: number }).port}`))
  wss.on('connection', (ws) => {
    const check = new PatternCheck(bytes)
    const started = process.hrtime.bigint()
    const cpuAtStart = ownCpuSeconds()
    ws.send('go')
    ws.on('message', (data: Buffer) => check.update(data))
    ws.on('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      check.end()
      console.log(`RESULT ${JSON.stringify({ bytes: check.bytes, seconds, cpuSeconds: ownCpuSeconds() - cpuAtStart })}`)
      wss.close()
    })
  })
}

function client(url: string, bytes: number, frameBytes: number): void {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  const frames = patternFrames(bytes, frameBytes)
  let done = false
  let inFlight = 0
  let cpuAtStart = 0
  // Credit from send callbacks, as the SDK does: at most 16 frames handed to the socket.
  const pump = () => {
    while (inFlight < 16 && !done) {
      const next = frames.next()
      if (next.done) {
        done = true
        break
      }
      inFlight++
      ws.send(next.value, { binary: true }, () => {
        inFlight--
        pump()
      })
    }
    if (done && inFlight === 0) ws.close(1000)
  }
  ws.once('message', () => {
    cpuAtStart = ownCpuSeconds()
    pump()
  })
  ws.on('close', () => console.log(`CPU ${ownCpuSeconds() - cpuAtStart}`))
}

// Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
process.once('SIGINT', () => process.exit(0))
if (process.argv[2] === 'server') server(Number(process.argv[3]))
else client(process.argv[3], Number(process.argv[4]), Number(process.argv[5]))
