import { expect } from 'chai'
import { once } from 'events'
import WebSocket from 'ws'
import type { Engine } from '../../lib'
import { nextEvent, rawWorker, recordingLogger, registered, sendJson, useEngine, type RawWorker } from '../support/engine'
import { useWorkers } from '../support/workers'

const KiB = 1024
const payload = 'x'.repeat(64 * KiB)

/** Sends 64 KiB fire-and-forget invocations of `functionId` until the engine reports its owner backed up. */
async function floodUntilBackedUp(engine: Engine, producer: RawWorker, functionId: string): Promise<{ worker_id: string; queued_bytes: number }> {
  let backedUp: { worker_id: string; queued_bytes: number } | undefined
  const reported = nextEvent(engine, 'worker_backed_up').then((event) => (backedUp = event))
  const frame = JSON.stringify({ type: 'invokefunction', function_id: functionId, data: payload, action: { type: 'void' } })
  while (backedUp === undefined) {
    // One batch at a time, each written out before the next, so the engine reads as fast as it is sent.
    await new Promise<void>((resolve, reject) => {
      for (let index = 0; index < 15; index++) producer.ws.send(frame)
      producer.ws.send(frame, (error) => (error ? reject(error) : resolve()))
    })
  }
  return reported
}

// Regression (issue 10, item 2): worker sockets had no bound on the bytes queued to them, so a
// worker that stopped reading grew the engine until V8 ran out of memory.
describe('workers that stop reading', () => {
  describe('a callee that does not drain within workerDrainGraceMs', () => {
    const logger = recordingLogger()
    const context = useEngine({ maxQueuedBytesPerWorker: 256 * KiB, workerDrainGraceMs: 1_500, logger })

    it('is refused invocations while backed up (worker_backed_up), then dropped with 4429, and its callers get invocation_stopped', async () => {
      const callee = await rawWorker(context.url)
      const calleeId = (await callee.next('workerregistered')).worker_id
      await registered(callee, 'sink.slow')
      callee.ws.pause()
      const caller = await rawWorker(context.url)
      sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'before', function_id: 'sink.slow', data: {} })

      const backedUp = await floodUntilBackedUp(context.engine, caller, 'sink.slow')
      expect(backedUp.worker_id).to.equal(calleeId)
      expect(backedUp.queued_bytes).to.be.at.least(256 * KiB)
      const gone = nextEvent(context.engine, 'worker_disconnected', (event) => event.worker_id === calleeId)
      sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'during', function_id: 'sink.slow', data: {} })
      const refused = await caller.next('invocationresult')
      expect(refused).to.deep.include({ invocation_id: 'during', function_id: 'sink.slow' })
      expect(refused.error).to.deep.include({ code: 'worker_backed_up' })
      expect(context.engine.stats().shedInvocations).to.be.at.least(1)
      expect(context.engine.stats().queuedBytes).to.be.at.most(256 * KiB + context.engine.limits.maxMessageBytes)

      await gone
      const stopped = await caller.next('invocationresult')
      expect(stopped).to.deep.include({ invocation_id: 'before' })
      expect(stopped.error).to.deep.include({ code: 'invocation_stopped' })
      expect((stopped.error as { message: string }).message).to.match(/dropped: backed up: \d+ bytes unread after 1500 ms/)
      expect(logger.lines.some((line) => /^warn: worker \S+ dropped with 4429: backed up/.test(line)), logger.lines.join('\n')).to.equal(true)
      expect(context.engine.stats()).to.include({ workers: 1, queuedBytes: 0 })
    })
  })

  describe('a callee that drains in time', () => {
    const context = useEngine({ maxQueuedBytesPerWorker: 256 * KiB, workerDrainGraceMs: 60_000 })

    it('is kept, and invocations reach it again once it has drained', async () => {
      const callee = await rawWorker(context.url)
      await registered(callee, 'sink.late')
      callee.ws.pause()
      const caller = await rawWorker(context.url)
      await floodUntilBackedUp(context.engine, caller, 'sink.late')

      const drained = nextEvent(context.engine, 'worker_drained')
      callee.ws.resume()
      await drained
      // The flood it had not read arrives first; the awaited call is forwarded after it.
      const forwarded = new Promise<Record<string, unknown>>((resolve) =>
        callee.ws.on('message', (data: Buffer) => {
          const message = JSON.parse(data.toString()) as Record<string, unknown>
          if (message.invocation_id === 'after') resolve(message)
        }),
      )
      sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'after', function_id: 'sink.late', data: 'again' })
      expect(await forwarded).to.deep.include({ function_id: 'sink.late', data: 'again' })
      expect(context.engine.stats().workers).to.equal(2)
    })
  })

  describe('a caller whose results pile up', () => {
    const maxMessageBytes = 256 * KiB
    const maxQueuedBytesPerWorker = 64 * KiB
    const logger = recordingLogger()
    let queuedAtDrop = -1
    const context = useEngine({
      maxQueuedBytesPerWorker,
      maxMessageBytes,
      // Long enough that only the hard cap can drop it within the test.
      workerDrainGraceMs: 60_000,
      logger: {
        ...logger,
        warn: (line) => {
          if (line.includes('dropped with')) queuedAtDrop = context.engine.stats().queuedBytes
          logger.warn(line)
        },
      },
    })

    it('is dropped at once when the next result would take its queue past maxQueuedBytesPerWorker + maxMessageBytes', async () => {
      const callee = await rawWorker(context.url)
      await registered(callee, 'big.result')
      const caller = await rawWorker(context.url)
      const callerId = (await caller.next('workerregistered')).worker_id
      caller.ws.pause()
      const gone = nextEvent(context.engine, 'worker_disconnected', (event) => event.worker_id === callerId)
      const result = 'r'.repeat(200 * KiB)
      let answered = 0
      callee.ws.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { type: string; invocation_id: string }
        if (message.type !== 'invokefunction' || message.invocation_id.startsWith('sync')) return
        answered++
        sendJson(callee.ws, { type: 'invocationresult', invocation_id: message.invocation_id, function_id: 'big.result', result })
      })
      // 200 calls: 40 MiB of results, far more than the loopback socket buffers take.
      for (let index = 0; index < 200; index++) {
        sendJson(caller.ws, { type: 'invokefunction', invocation_id: `call-${index}`, function_id: 'big.result', data: {} })
      }

      await gone
      expect(answered).to.be.greaterThan(0)
      const drop = logger.lines.find((line) => line.includes('dropped with 4429'))
      expect(drop).to.match(/backed up: \d+ bytes unread, and the next message would pass 327680 \(maxQueuedBytesPerWorker \+ maxMessageBytes\)/)
      expect(queuedAtDrop).to.be.within(maxQueuedBytesPerWorker, maxQueuedBytesPerWorker + maxMessageBytes)
      expect(context.engine.stats()).to.include({ workers: 1, pendingInvocations: 0 })
    })
  })

  // Regression (issue 10, item 2): any inbound frame counted as a sign of life, so a worker that
  // sent a frame now and then but never read (nor answered a ping) was never dropped.
  describe('liveness', () => {
    const context = useEngine({ heartbeatMs: 500 })
    const worker = useWorkers()

    it('drops a worker that sends frames but never reads nor answers pings, and keeps a busy SDK worker that does', async () => {
      const busy = await worker(context.url)
      busy.registerFunction('busy.work', (input: { size: number }) => JSON.stringify(Array.from({ length: input.size }, (_, index) => index)).length)
      const caller = await worker(context.url)

      const mute = await rawWorker(context.url, { autoPong: false })
      const muteId = (await mute.next('workerregistered')).worker_id
      const disconnected: string[] = []
      const subscription = context.engine.events$.subscribe((event) => event.type === 'worker_disconnected' && disconnected.push(event.worker_id))
      mute.ws.pause()
      const chatter = setInterval(() => sendJson(mute.ws, { type: 'invokefunction', function_id: 'engine::workers::register', data: {}, action: { type: 'void' } }), 25)
      let calls = 0
      let working = true
      const work = (async () => {
        while (working) {
          expect(await caller.trigger({ function_id: 'busy.work', payload: { size: 20_000 } })).to.be.a('number')
          calls++
        }
      })()
      try {
        await nextEvent(context.engine, 'worker_disconnected', (event) => event.worker_id === muteId)
      } finally {
        clearInterval(chatter)
        working = false
        await work
        subscription.unsubscribe()
      }
      expect(calls).to.be.greaterThan(0)
      expect(disconnected).to.deep.equal([muteId])
      expect(context.engine.stats().workers).to.equal(2)
    })
  })

  describe('liveness of a peer that only answers pings (a browser page: it cannot send pings, its browser answers them)', () => {
    const context = useEngine({ heartbeatMs: 100 })

    it('keeps an idle worker that sends nothing but pongs, however many beats pass', async () => {
      const idle = await rawWorker(context.url)
      await idle.next('workerregistered')
      for (let beats = 0; beats < 6; beats++) await once(idle.ws, 'ping')
      expect(idle.ws.readyState).to.equal(WebSocket.OPEN)
      expect(context.engine.stats().workers).to.equal(1)
    })
  })
})
