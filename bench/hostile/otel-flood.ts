// An /otel flood: COUNT telemetry sockets from 127.0.0.3. Half send one 2 MiB message per
// connection, the other half 256 KiB every 250 ms. A closed socket is replaced after 500 ms.
// Tallies the close codes and reasons (or HTTP statuses) the engine gives them.
import WebSocket from 'ws'
import { closeOutcome, finish, peerArgs, ready, Tally } from './peer'

const FROM = '127.0.0.3'
const BIG = Buffer.concat([Buffer.from('OTLP'), Buffer.alloc(2 * 1024 * 1024, 0x7b)])
const STEADY = Buffer.concat([Buffer.from('MTRC'), Buffer.alloc(256 * 1024, 0x7b)])

function main(): void {
  const { url, seconds, count } = peerArgs()
  const target = `${url.replace(/\/+$/, '')}/otel`
  const outcomes = new Tally()
  const deadline = Date.now() + seconds * 1000
  const open = new Set<WebSocket>()
  let connections = 0
  let sentBytes = 0
  let finished = false
  const openOne = (oversized: boolean) => {
    if (Date.now() >= deadline) return
    connections++
    const ws = new WebSocket(target, { localAddress: FROM, perMessageDeflate: false })
    open.add(ws)
    let timer: NodeJS.Timeout | undefined
    let refused = false
    const send = (message: Buffer) => ws.send(message, (error) => (error ? undefined : (sentBytes += message.length)))
    ws.on('open', () => {
      if (oversized) send(BIG)
      else timer = setInterval(() => ws.bufferedAmount === 0 && send(STEADY), 250)
    })
    ws.on('unexpected-response', (_request, response) => {
      refused = true
      outcomes.add(`HTTP ${response.statusCode}`)
      ws.terminate()
    })
    ws.on('error', () => undefined)
    ws.on('close', (code, reason) => {
      clearInterval(timer)
      open.delete(ws)
      if (finished) return
      if (!refused) outcomes.add(closeOutcome(code, reason))
      setTimeout(() => openOne(oversized), 500)
    })
  }
  for (let index = 0; index < count; index++) openOne(index % 2 === 0)
  ready()
  setTimeout(() => {
    finished = true
    const stillOpen = open.size
    for (const ws of open) ws.terminate()
    finish({ connections, sentMiB: Math.round(sentBytes / 1024 / 1024), stillOpenAtEnd: stillOpen, outcomes })
  }, seconds * 1000)
}

main()
