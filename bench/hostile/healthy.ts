// The healthy worker of the hostile mix: invokes an echo function one call at a time and
// streams rounds of 16 MiB through channels, verifying each round's SHA-256, until the time is up.
import { lastValueFrom } from 'rxjs'
import { fromAsyncIterable, registerWorker, silentLogger, type RxChannelsError, type WorkerClient } from '../../lib'
import { sha256, testData } from '../slow-reader/data'
import { finish, pause, peerArgs, ready, Tally } from './peer'

const ROUND_MIB = 16

async function* hashed(sizeMiB: number, hash: ReturnType<typeof sha256>): AsyncGenerator<Buffer> {
  for (const chunk of testData(sizeMiB)) {
    hash.update(chunk)
    yield chunk
  }
}

async function invokeUntil(caller: WorkerClient, deadline: number) {
  const millis: number[] = []
  const failures = new Tally()
  for (let index = 0; Date.now() < deadline; index++) {
    const started = process.hrtime.bigint()
    try {
      await caller.trigger({ function_id: 'healthy.echo', payload: { index }, timeoutMs: 10_000 })
      millis.push(Number(process.hrtime.bigint() - started) / 1e6)
    } catch (error) {
      failures.add((error as RxChannelsError).code)
    }
    // A steady call rate rather than a busy loop: the 2 cores are shared with the hostile peers.
    await pause(5)
  }
  millis.sort((a, b) => a - b)
  const at = (share: number) => Math.round((millis[Math.floor(millis.length * share)] ?? NaN) * 1000) / 1000
  return { calls: millis.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1 - 1e-9), failures }
}

async function streamUntil(client: WorkerClient, deadline: number) {
  const started = Date.now()
  let verifiedBytes = 0
  let rounds = 0
  const failures = new Tally()
  while (Date.now() < deadline) {
    try {
      const { writer, reader } = await client.createChannel()
      const sent = sha256()
      const received = sha256()
      let bytes = 0
      const read = new Promise<void>((resolve, reject) =>
        reader.chunks$.subscribe({
          next: (chunk) => {
            received.update(chunk)
            bytes += chunk.length
          },
          complete: resolve,
          error: reject,
        }),
      )
      await lastValueFrom(fromAsyncIterable(hashed(ROUND_MIB, sent)).to(writer.chunks), { defaultValue: undefined })
      await read
      if (bytes !== ROUND_MIB * 1024 * 1024 || sent.digest('hex') !== received.digest('hex')) failures.add('CORRUPT')
      else verifiedBytes += bytes
      rounds++
    } catch (error) {
      failures.add((error as RxChannelsError).code ?? (error as Error).message)
      await pause(100)
    }
  }
  const seconds = (Date.now() - started) / 1000
  const verifiedMiB = verifiedBytes / 1024 / 1024
  return { rounds, verifiedMiB, mibPerSecond: Math.round((verifiedMiB / seconds) * 10) / 10, failures }
}

async function main(): Promise<void> {
  const { url, seconds } = peerArgs()
  const callee = registerWorker(url, { logger: silentLogger, workerName: 'healthy-callee' })
  callee.registerFunction('healthy.echo', (input: unknown) => input)
  const caller = registerWorker(url, { logger: silentLogger, workerName: 'healthy-caller' })
  await Promise.all([callee.ready(), caller.ready()])
  ready()
  const deadline = Date.now() + seconds * 1000
  const [invocations, streaming] = await Promise.all([invokeUntil(caller, deadline), streamUntil(caller, deadline)])
  finish({ invocations, streaming })
}

void main()
