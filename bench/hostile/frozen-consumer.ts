// The frozen consumer: registers `hostile.sink` for fire-and-forget calls, then the bench
// SIGSTOPs it. Its client's log lines are printed as they come (once it is continued, they say
// how its connection ended), and again in its RESULT on SIGTERM.
import { registerWorker, type Logger } from '../../lib'
import { finish, peerArgs, ready } from './peer'

async function main(): Promise<void> {
  const { url } = peerArgs()
  const lines: string[] = []
  const log = (level: string) => (message: string) => {
    lines.push(`${level}: ${message}`)
    console.log(`LOG ${level}: ${message}`)
  }
  const logger: Logger = { debug: () => undefined, info: log('info'), warn: log('warn'), error: log('error') }
  const worker = registerWorker(url, { logger, workerName: 'frozen-consumer' })
  let calls = 0
  worker.registerFunction('hostile.sink', () => {
    calls++
    return null
  })
  await worker.ready()
  ready({ pid: process.pid, workerId: worker.workerId })
  process.once('SIGTERM', () => finish({ callsHandled: calls, log: lines.slice(0, 10) }))
}

void main()
