// The least a ws relay process can do for one channel's bytes, the floor for the engine as the
// direct pipe is the floor for the ends: `bare-relay.ts UPSTREAM_URL` listens (prints its
// port) and, for the one client that connects, opens a socket to UPSTREAM_URL (the direct
// pipe's server, which checks every byte) and forwards each frame each way, nothing more: no
// keys, no held frames, no heartbeats. Flow control as the direct pipe's writer has it: at most
// 16 frames handed to the upstream socket, the client's socket paused beyond. Prints the CPU
// time it spent once the client has gone.
import { WebSocket, WebSocketServer } from 'ws'
import { ownCpuSeconds } from '../support/cpu'

const MAX_FRAMES_IN_FLIGHT = 16

function relay(upstreamUrl: string): void {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, maxPayload: 1024 * 1024 })
  wss.on('listening', () => console.log(`PORT ${(wss.address() as { port: number }).port}`))
  wss.on('connection', (client) => {
    const cpuAtStart = ownCpuSeconds()
    const upstream = new WebSocket(upstreamUrl, { perMessageDeflate: false })
    let inFlight = 0
    let clientClosed = false
    const closeUpstreamWhenSent = () => {
      if (clientClosed && inFlight === 0) upstream.close(1000)
    }
    client.pause()
    upstream.once('open', () => client.resume())
    upstream.on('message', (data: Buffer, isBinary) => client.send(data, { binary: isBinary }))
    client.on('message', (data: Buffer, isBinary) => {
      inFlight++
      if (inFlight >= MAX_FRAMES_IN_FLIGHT) client.pause()
      upstream.send(data, { binary: isBinary }, () => {
        inFlight--
        if (inFlight < MAX_FRAMES_IN_FLIGHT) client.resume()
        closeUpstreamWhenSent()
      })
    })
    client.on('close', () => {
      clientClosed = true
      closeUpstreamWhenSent()
    })
    upstream.on('close', () => {
      console.log(`CPU ${ownCpuSeconds() - cpuAtStart}`)
      wss.close()
    })
  })
}

// Exit normally on SIGINT, so that `node --cpu-prof` writes its profile.
process.once('SIGINT', () => process.exit(0))
relay(process.argv[2])
