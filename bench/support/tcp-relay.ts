// A relay that parses nothing: `tcp-relay.ts UPSTREAM_PORT` listens (prints its port) and, for
// the one client that connects, pipes the connection's bytes unchanged to and from a connection
// to UPSTREAM_PORT on loopback, the ws handshake and frames (masked as they come) included.
// No relay written in Node can do less per byte, so next to the direct pipe it shows what a
// third process costs before any frame is read. Prints its CPU time once the client has gone,
// then exits.
import net from 'net'
import { ownCpuSeconds } from './cpu'

const server = net.createServer({ noDelay: true }, (client) => {
  const cpuAtStart = ownCpuSeconds()
  const upstream = net.connect({ host: '127.0.0.1', port: Number(process.argv[2]), noDelay: true })
  client.pipe(upstream).on('error', () => client.destroy())
  upstream.pipe(client).on('error', () => upstream.destroy())
  upstream.on('close', () => {
    console.log(`CPU ${ownCpuSeconds() - cpuAtStart}`)
    server.close()
  })
})
server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as net.AddressInfo).port}`))
