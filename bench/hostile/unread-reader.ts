// A reader that never reads: creates a channel holding up to 1024 frames, connects its read
// end on a raw TCP socket that is never read, and pumps 1 MiB frames into the write end for
// as long as the engine takes them (at most 4 MiB in flight).
import { connect } from 'net'
import WebSocket from 'ws'
import { channelUrl } from '../../lib/protocol/channel-url'
import type { ChannelPair } from '../../lib/protocol/refs'
import { closeOutcome, finish, peerArgs, ready } from './peer'

const FRAME = Buffer.alloc(1024 * 1024, 0x5a)
const IN_FLIGHT_BYTES = 4 * 1024 * 1024

async function createChannel(url: string): Promise<ChannelPair> {
  const worker = new WebSocket(url)
  await new Promise((resolve, reject) => worker.once('open', resolve).once('error', reject))
  worker.send(JSON.stringify({ type: 'invokefunction', invocation_id: 'create', function_id: 'engine::channels::create', data: { buffer_size: 1024 } }))
  return new Promise((resolve, reject) =>
    worker.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string; result?: ChannelPair; error?: unknown }
      if (message.type !== 'invocationresult') return
      if (message.result) resolve(message.result)
      else reject(new Error(`engine::channels::create failed: ${JSON.stringify(message.error)}`))
    }),
  )
}

async function main(): Promise<void> {
  const { url, seconds } = peerArgs()
  const { writer, reader } = await createChannel(url)
  const readUrl = new URL(channelUrl(url, reader))
  const unread = connect({ host: readUrl.hostname, port: Number(readUrl.port) }, () => {
    unread.write(
      `GET ${readUrl.pathname}${readUrl.search} HTTP/1.1\r\nHost: ${readUrl.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    )
    unread.pause()
  })
  let readerEnded = 'still connected, never read'
  unread.on('error', (error) => (readerEnded = `error ${(error as NodeJS.ErrnoException).code ?? error.message}`))
  unread.on('close', () => (readerEnded = readerEnded.startsWith('error') ? readerEnded : 'closed by the engine'))

  const ws = new WebSocket(channelUrl(url, writer))
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  ready()
  let taken = 0
  let writerEnded = 'still open'
  let lastTakenAt = Date.now()
  ws.on('close', (code, reason) => (writerEnded = `closed ${closeOutcome(code, reason)}`))
  ws.on('error', () => undefined)
  const pump = () => {
    while (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < IN_FLIGHT_BYTES) {
      ws.send(FRAME, (error) => {
        if (error) return
        taken += FRAME.length
        lastTakenAt = Date.now()
        pump()
      })
    }
  }
  pump()
  setTimeout(() => {
    const stalledFor = ((Date.now() - lastTakenAt) / 1000).toFixed(1)
    finish({ takenMiB: taken / 1024 / 1024, writer: writerEnded, writerStalledSeconds: Number(stalledFor), reader: readerEnded })
  }, seconds * 1000)
}

void main()
