import { expect } from 'chai'
import * as E from 'fp-ts/Either'
import WebSocket from 'ws'
import { channelUrl } from '../../lib/protocol/channel-url'
import { CREDIT_SUBPROTOCOL } from '../../lib/protocol/credit'
import { ChannelList, type CreatedChannel } from '../../lib/protocol/engine-functions'
import { nextEvent, openRaw, rawWorker, sendJson, statsReach, useEngine, type RawWorker } from '../support/engine'

/** Calls an engine function on a raw worker and waits for its result message. */
async function call(worker: RawWorker, functionId: string, data: unknown): Promise<Record<string, unknown>> {
  const id = `${functionId}-${Math.random()}`
  sendJson(worker.ws, { type: 'invokefunction', invocation_id: id, function_id: functionId, data })
  const answer = await worker.next('invocationresult')
  expect(answer.invocation_id).to.equal(id)
  return answer
}

async function listChannels(worker: RawWorker, data: unknown = {}): Promise<ChannelList> {
  const decoded = ChannelList.decode((await call(worker, 'engine::channels::list', data)).result)
  if (E.isLeft(decoded)) throw new Error('engine::channels::list answered something its codec does not decode')
  return decoded.right
}

/** A credit-mode reader that grants nothing: every frame sent to the channel stays held by the engine. */
async function stingyReader(url: string, channel: CreatedChannel): Promise<WebSocket> {
  const reader = new WebSocket(channelUrl(url, channel.reader), [CREDIT_SUBPROTOCOL])
  await new Promise((resolve, reject) => reader.once('open', resolve).once('error', reject))
  return reader
}

describe('engine::channels::list and engine.channels() (issue 15)', () => {
  const context = useEngine()

  it('shows a channel\'s counts each way, held frames, paused writer, creator and ends, never its keys', async () => {
    const maker = await rawWorker(context.url)
    await call(maker, 'engine::workers::register', { name: 'maker' })
    const channel = (await call(maker, 'engine::channels::create', { buffer_size: 2 })).result as CreatedChannel
    const workerId = ((await call(maker, 'engine::workers::list', {})).result as { workers: Array<{ worker_id: string }> }).workers[0].worker_id
    const writer = await openRaw(channelUrl(context.url, channel.writer))
    await stingyReader(context.url, channel)
    const paused = nextEvent(context.engine, 'writer_paused')
    writer.ws.send(Buffer.alloc(100, 1), { binary: true })
    writer.ws.send(Buffer.alloc(50, 2), { binary: true })
    await paused

    const observer = await rawWorker(context.url)
    const answer = await listChannels(observer)
    expect(answer.next_cursor).to.equal(undefined)
    expect(answer.channels).to.have.length(1)
    const [listed] = answer.channels
    expect(listed).to.deep.include({
      channel_id: channel.writer.channel_id,
      state: 'open',
      buffer_size: 2,
      owner: { worker_id: workerId, name: 'maker' },
      frames_in: 2,
      bytes_in: 150,
      frames_out: 0,
      bytes_out: 0,
      held_frames: 2,
      held_bytes: 150,
      writer_paused: true,
    })
    expect(listed.writer.connected).to.equal(true)
    expect(listed.writer.address).to.match(/^127\.0\.0\.1:\d+$/)
    expect(listed.reader.connected).to.equal(true)
    expect(listed.paused_ms).to.be.at.least(0)
    expect(listed.age_ms).to.be.at.least(0)
    const text = JSON.stringify(answer)
    expect(text).not.to.contain(channel.writer.access_key)
    expect(text).not.to.contain(channel.reader.access_key)
    expect(context.engine.channels()).to.have.length(1)
    expect(context.engine.channels()[0]).to.deep.include({ channel_id: listed.channel_id, frames_in: 2, held_bytes: 150 })
  })

  it('shows a channel whose ends have not connected as waiting, and one whose writer ended as draining', async () => {
    const maker = await rawWorker(context.url)
    const waiting = (await call(maker, 'engine::channels::create', {})).result as CreatedChannel
    const draining = (await call(maker, 'engine::channels::create', {})).result as CreatedChannel
    await stingyReader(context.url, draining)
    const writer = await openRaw(channelUrl(context.url, draining.writer))
    writer.ws.send(Buffer.alloc(10), { binary: true })
    writer.ws.close(1000)
    await writer.closed
    const states = Object.fromEntries(context.engine.channels().map((listed) => [listed.channel_id, listed.state]))
    expect(states).to.deep.equal({ [waiting.writer.channel_id]: 'waiting', [draining.writer.channel_id]: 'draining' })
    const [, listed] = context.engine.channels()
    expect(listed.writer.connected).to.equal(false)
    expect(listed).to.deep.include({ frames_in: 1, held_frames: 1 })
  })

  it('pages like the other listings, and no longer lists a channel that has finished', async () => {
    const maker = await rawWorker(context.url)
    const created: string[] = []
    for (let index = 0; index < 3; index++) created.push(((await call(maker, 'engine::channels::create', {})).result as CreatedChannel).writer.channel_id)
    const first = await listChannels(maker, { limit: 2 })
    expect(first.channels.map((listed) => listed.channel_id)).to.deep.equal(created.slice(0, 2))
    expect(first.next_cursor).to.be.a('string')
    const second = await listChannels(maker, { limit: 2, cursor: first.next_cursor })
    expect(second.channels.map((listed) => listed.channel_id)).to.deep.equal(created.slice(2))
    expect(second.next_cursor).to.equal(undefined)

    // Its creator leaving fails its channels.
    maker.ws.close()
    await statsReach(context.engine, (stats) => stats.channels === 0)
    expect((await listChannels(await rawWorker(context.url))).channels).to.deep.equal([])
  })

  it('answers a bad page request with invalid_input', async () => {
    const answer = await call(await rawWorker(context.url), 'engine::channels::list', { limit: 0 })
    expect(answer.error).to.have.property('code', 'invalid_input')
  })
})
