// A registration flood: one raw worker socket registers up to COUNT functions, each with a
// 16 KiB id and a 256 KiB description, as fast as the engine reads them. Tallies what the
// engine answers and how the socket ends.
import WebSocket from 'ws'
import { closeOutcome, finish, peerArgs, ready, Tally } from './peer'

const ID_PADDING = 'i'.repeat(16 * 1024)
const DESCRIPTION = 'd'.repeat(256 * 1024)

async function main(): Promise<void> {
  const { url, seconds, count } = peerArgs()
  const ws = new WebSocket(url)
  const answers = new Tally()
  let ended = 'still open'
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { type: string; code?: string }
    answers.add(message.code === undefined ? message.type : `${message.type} ${message.code}`)
  })
  ws.on('close', (code, reason) => (ended = `closed ${closeOutcome(code, reason)}`))
  ws.on('error', () => undefined)
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  ready()
  const deadline = Date.now() + seconds * 1000
  let sent = 0
  // One message in flight at a time: the flood goes as fast as the engine reads, no faster.
  while (sent < count && Date.now() < deadline && ws.readyState === WebSocket.OPEN) {
    const message = JSON.stringify({ type: 'registerfunction', id: `flood.${sent}.${ID_PADDING}`, description: DESCRIPTION })
    const taken = await new Promise<boolean>((resolve) => ws.send(message, (error) => resolve(error === undefined || error === null)))
    if (!taken) break
    sent++
  }
  const left = deadline - Date.now()
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left))
  finish({ registrationsSent: sent, sentMiB: Math.round((sent * (ID_PADDING.length + DESCRIPTION.length)) / 1024 / 1024), answers, socket: ended })
}

void main()
