// The producer: sends 64 KiB fire-and-forget calls to `hostile.sink` (the frozen consumer) at
// COUNT MiB/s until the time is up. What its client logs (refusals of those calls) is tallied.
import { registerWorker, type Logger } from '../../lib'
import { finish, pause, peerArgs, ready, Tally } from './peer'

const CALL_BYTES = 64 * 1024
const TICK_MS = 10

async function main(): Promise<void> {
  const { url, seconds, count: mibPerSecond } = peerArgs()
  const logged = new Tally()
  const tally = (level: string) => (message: string) => logged.add(`${level}: ${message.replace(/\d+/g, 'N').slice(0, 120)}`)
  const logger: Logger = { debug: () => undefined, info: tally('info'), warn: tally('warn'), error: tally('error') }
  const worker = registerWorker(url, { logger, workerName: 'producer' })
  await worker.ready()
  ready()
  const payload = { blob: 'p'.repeat(CALL_BYTES - 16) }
  const perTick = (mibPerSecond * 1024 * 1024 * TICK_MS) / 1000 / CALL_BYTES
  const deadline = Date.now() + seconds * 1000
  const failures = new Tally()
  let sent = 0
  let owed = 0
  while (Date.now() < deadline) {
    for (owed += perTick; owed >= 1; owed--) {
      worker.trigger({ function_id: 'hostile.sink', payload, action: { type: 'void' } }).then(
        () => undefined,
        (error: { code?: string }) => failures.add(error.code ?? 'error'),
      )
      sent++
    }
    await pause(TICK_MS)
  }
  finish({ calls: sent, sentMiB: Math.round((sent * CALL_BYTES) / 1024 / 1024), failures, logged })
}

void main()
