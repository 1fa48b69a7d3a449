import { expect } from 'chai'
import { createHash, randomBytes } from 'crypto'
import { lastValueFrom, toArray } from 'rxjs'
import type { ChannelReader, WorkerClient } from '../../lib'

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** What a healthy worker has done so far. */
export interface HealthyState {
  readonly rounds: number
  readonly failure: unknown
}

/**
 * A healthy pair of workers at work until stopped: each round `caller` invokes `callee` and
 * streams 256 KiB with a text message through a channel to it, checking what arrives.
 * `roundsReach(n)` resolves once n rounds have completed (rejects if one fails); `stop()`
 * waits for the round in progress and throws the first failure.
 */
export function healthyTraffic(callee: WorkerClient, caller: WorkerClient) {
  callee.registerFunction('healthy.echo', (input: unknown) => input)
  callee.registerFunction('healthy.digest', async ({ reader }: { reader: ChannelReader }) => {
    const [data, messages] = await Promise.all([reader.readAll(), lastValueFrom(reader.messages$.pipe(toArray()))])
    return `${sha256(data)}:${messages.join(',')}`
  })
  let stopped = false
  const state = { rounds: 0, failure: undefined as unknown }
  const waiters = new Set<() => void>()
  const running = (async () => {
    await callee.ready()
    while (!stopped) {
      const payload = { round: state.rounds, note: randomBytes(8).toString('hex') }
      expect(await caller.trigger({ function_id: 'healthy.echo', payload })).to.deep.equal(payload)
      const { writer, readerRef } = await caller.createChannel()
      const data = randomBytes(256 * 1024)
      const digest = caller.trigger({ function_id: 'healthy.digest', payload: { reader: readerRef } })
      writer.sendMessage(`round ${state.rounds}`)
      writer.write(data)
      writer.close()
      expect(await digest).to.equal(`${sha256(data)}:round ${state.rounds}`)
      state.rounds++
      waiters.forEach((wake) => wake())
    }
  })().catch((error: unknown) => {
    state.failure = error
    waiters.forEach((wake) => wake())
  })
  return {
    state: state as HealthyState,
    roundsReach: (count: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (state.failure !== undefined) reject(state.failure)
          else if (state.rounds >= count) resolve()
          else return
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      }),
    stop: async () => {
      stopped = true
      await running
      if (state.failure !== undefined) throw state.failure
    },
  }
}
