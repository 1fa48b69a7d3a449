// Half-sent upgrades: keeps COUNT raw sockets open from 127.0.0.2, each sending the start of
// a WebSocket upgrade and never the end. Whenever the engine answers or closes one, another
// takes its place (after 100 ms, or 1 s once refused). Tallies what each got back.
import { connect } from 'net'
import { finish, peerArgs, ready, Tally } from './peer'

const FROM = '127.0.0.2'

function main(): void {
  const { url, seconds, count } = peerArgs()
  const { hostname, port } = new URL(url)
  const outcomes = new Tally()
  const deadline = Date.now() + seconds * 1000
  const open = new Set<ReturnType<typeof connect>>()
  let opened = 0
  let finished = false
  const openOne = () => {
    if (Date.now() >= deadline) return
    opened++
    const socket = connect({ host: hostname, port: Number(port), localAddress: FROM })
    open.add(socket)
    let answer = ''
    let failure: string | undefined
    socket.setEncoding('latin1').on('data', (part: string) => (answer += part))
    socket.on('connect', () => socket.write(`GET / HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`))
    socket.on('error', (error: NodeJS.ErrnoException) => (failure = error.code ?? error.message))
    socket.on('close', () => {
      open.delete(socket)
      if (finished) return
      const status = answer.split('\r\n')[0].replace(/^HTTP\/1\.1 /, '')
      outcomes.add(status !== '' ? status : `closed without a status${failure ? ` (${failure})` : ''}`)
      setTimeout(openOne, /^(429|503)/.test(status) ? 1000 : 100)
    })
  }
  for (let index = 0; index < count; index++) openOne()
  ready()
  setTimeout(() => {
    finished = true
    const stillOpen = open.size
    for (const socket of open) socket.destroy()
    finish({ opened, stillOpenAtEnd: stillOpen, outcomes })
  }, seconds * 1000)
}

main()
