// Reader worker: consumes a channel at a fixed rate by requesting 64 KiB frames on a clock.
import { interval, map, Subject } from 'rxjs'
import { registerWorker, silentLogger, type ChannelReader } from '../../lib'
import { RssMeter } from '../support/rss'
import { sha256 } from './data'

const FRAME = 64 * 1024
const TICK_MS = 50

async function main(): Promise<void> {
  const meter = new RssMeter()
  const worker = registerWorker(process.argv[2], { logger: silentLogger })
  worker.registerFunction('bench.read', ({ reader, rateMiBps }: { reader: ChannelReader; rateMiBps: number }) => {
    meter.markIdle()
    const hash = sha256()
    const started = Date.now()
    let bytes = 0
    let requested = 0
    const demand = new Subject<number>()
    // Request what the rate allows by now, so the pace holds whatever the timer jitter.
    const clock = interval(TICK_MS)
      .pipe(map(() => Math.floor((((Date.now() - started) / 1000) * rateMiBps * 1024 * 1024) / FRAME) - requested))
      .subscribe((due) => {
        if (due <= 0) return
        requested += due
        demand.next(due)
      })
    return new Promise((resolve, reject) => {
      reader.flow.pull(demand).subscribe({
        next: (chunk) => {
          hash.update(chunk)
          bytes += chunk.length
        },
        error: (error: Error) => {
          clock.unsubscribe()
          reject(error)
        },
        complete: () => {
          clock.unsubscribe()
          resolve({ bytes, sha256: hash.digest('hex'), seconds: (Date.now() - started) / 1000 })
        },
      })
    })
  })
  await worker.ready()
  console.log('READY')
  meter.reportOnSigterm()
}

void main()
