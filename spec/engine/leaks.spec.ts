import { createHook } from 'async_hooks'
import { expect } from 'chai'
import type { Subscription } from 'rxjs'
import { channelUrl } from '../../lib/protocol/channel-url'
import type { ChannelPair } from '../../lib/protocol/refs'
import { openRaw, rawWorker, sendJson, statsReach, useEngine, type RawWorker } from '../support/engine'

const CHANNELS = 10_000
const CONCURRENCY = 32

/** How a channel ends; the spec cycles through all of them, so every exit path is checked for leaks. */
const ENDINGS = ['clean end', 'writer aborts', 'writer connection drops', 'reader leaves first'] as const
type Ending = (typeof ENDINGS)[number]

/** Creates channels on one raw worker socket, many in flight at once, matched to their answers by invocation id. */
function channelFactory(worker: RawWorker) {
  const waiting = new Map<string, (pair: ChannelPair) => void>()
  worker.ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { type: string; invocation_id?: string; result?: ChannelPair }
    if (message.type !== 'invocationresult' || message.invocation_id === undefined) return
    waiting.get(message.invocation_id)?.(message.result as ChannelPair)
    waiting.delete(message.invocation_id)
  })
  let next = 0
  return () =>
    new Promise<ChannelPair>((resolve) => {
      const invocationId = `create-${next++}`
      waiting.set(invocationId, resolve)
      sendJson(worker.ws, { type: 'invokefunction', invocation_id: invocationId, function_id: 'engine::channels::create', data: {} })
    })
}

/**
 * Follows the timers set from now on, to tell which are still armed and keep the process alive.
 * Node's own count (`process.getActiveResourcesInfo()`) cannot be compared before and after:
 * it drifted by one in a full run, after an ioredis client had failed to connect in an earlier spec.
 */
function followTimers(): { readonly stillArmed: () => number; readonly stop: () => void } {
  const timers = new Set<NodeJS.Timeout>()
  const hook = createHook({
    init: (_id, type, _trigger, resource) => {
      if (type === 'Timeout') timers.add(resource as NodeJS.Timeout)
    },
  }).enable()
  // `_destroyed` is Node's mark of a timer that fired (once) or was cleared; no public API tells.
  const armed = (timer: NodeJS.Timeout) => timer.hasRef() && !(timer as NodeJS.Timeout & { _destroyed: boolean })._destroyed
  return { stillArmed: () => [...timers].filter(armed).length, stop: () => hook.disable() }
}

async function runChannel(url: string, pair: ChannelPair, ending: Ending): Promise<void> {
  const reader = await openRaw(channelUrl(url, pair.reader))
  const writer = await openRaw(channelUrl(url, pair.writer))
  switch (ending) {
    case 'clean end':
      writer.ws.send(Buffer.from('payload'))
      writer.ws.close(1000)
      expect((await reader.closed).code).to.equal(1000)
      expect(reader.frames).to.have.length(1)
      break
    case 'writer aborts':
      writer.ws.close(4000, 'gave up')
      expect((await reader.closed).code).to.equal(1011)
      break
    case 'writer connection drops':
      writer.ws.terminate()
      expect((await reader.closed).code).to.equal(1011)
      break
    case 'reader leaves first':
      reader.ws.close(1000)
      expect((await writer.closed).code).to.equal(4410)
      break
  }
  await Promise.all([reader.closed, writer.closed])
}

describe('no leaks', function () {
  // 20,000 WebSocket handshakes and closes on loopback: about 15 s on two busy cores.
  this.timeout(120_000)
  const context = useEngine()

  it(`opens and finishes ${CHANNELS} channels (${CONCURRENCY} at a time, every kind of ending); channel, socket and timer counts return to where they were`, async () => {
    const finished = new Set<string>()
    const finishWaiters = new Map<string, () => void>()
    const subscription: Subscription = context.engine.events$.subscribe((event) => {
      if (event.type !== 'channel_finished') return
      const waiter = finishWaiters.get(event.channel_id)
      if (waiter) {
        finishWaiters.delete(event.channel_id)
        waiter()
      } else finished.add(event.channel_id)
    })
    const channelFinished = (channelId: string) =>
      new Promise<void>((resolve) => {
        if (finished.delete(channelId)) resolve()
        else finishWaiters.set(channelId, resolve)
      })

    const creator = await rawWorker(context.url)
    // Followed after an await: mocha arms this test's own timeout timer once the test function returns.
    const timers = followTimers()
    const create = channelFactory(creator)
    let started = 0
    let peakChannels = 0
    const lane = async () => {
      while (started < CHANNELS) {
        const index = started++
        const pair = await create()
        peakChannels = Math.max(peakChannels, context.engine.stats().channels)
        await Promise.all([runChannel(context.url, pair, ENDINGS[index % ENDINGS.length]), channelFinished(pair.reader.channel_id)])
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, lane))
    subscription.unsubscribe()

    expect(started).to.equal(CHANNELS)
    expect(peakChannels).to.be.within(1, CONCURRENCY)
    expect(context.engine.stats()).to.include({ channels: 0, heldFrames: 0, heldBytes: 0, pendingInvocations: 0 })
    creator.ws.close()
    await creator.closed
    const stats = await statsReach(context.engine, (current) => current.sockets === 0 && current.workers === 0)
    expect(stats).to.deep.equal({
      workers: 0,
      functions: 0,
      channels: 0,
      heldFrames: 0,
      heldBytes: 0,
      proxiedEnds: 0,
      proxiedBytes: 0,
      pendingInvocations: 0,
      queuedBytes: 0,
      shedInvocations: 0,
      sockets: 0,
      connections: 0,
    })
    timers.stop()
    expect(timers.stillArmed(), 'timers left behind').to.equal(0)
  })
})
