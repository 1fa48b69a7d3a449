import { expect } from 'chai'
import { randomBytes } from 'crypto'
import { filter, firstValueFrom } from 'rxjs'
import WebSocket from 'ws'
import { channelUrl } from '../../lib/protocol/channel-url'
import type { ChannelPair, StreamChannelRef } from '../../lib/protocol/refs'
import { openRaw, rawWorker, refusal, sendJson, useEngine, type RawFrame } from '../support/engine'

/** Creates a channel through the engine function, as any worker would. */
async function createChannel(url: string, bufferSize?: number): Promise<ChannelPair> {
  const worker = await rawWorker(url)
  sendJson(worker.ws, {
    type: 'invokefunction',
    invocation_id: 'create',
    function_id: 'engine::channels::create',
    data: bufferSize === undefined ? {} : { buffer_size: bufferSize },
  })
  const answer = await worker.next('invocationresult')
  return answer.result as ChannelPair
}

const end = (url: string, ref: StreamChannelRef) => openRaw(channelUrl(url, ref))

function sendAll(ws: WebSocket, frames: ReadonlyArray<{ data: Buffer | string; binary: boolean }>): void {
  for (const frame of frames) ws.send(frame.data, { binary: frame.binary })
}

const describeFrames = (frames: readonly RawFrame[]) => frames.map((frame) => `${frame.binary ? 'bin' : 'txt'}:${frame.data}`)

describe('engine channel relay', () => {
  const context = useEngine()

  it('issues a different 128-bit access key for each direction', async () => {
    const { writer, reader } = await createChannel(context.url)
    expect(writer.channel_id).to.equal(reader.channel_id)
    expect(writer.access_key).not.to.equal(reader.access_key)
    for (const key of [writer.access_key, reader.access_key]) expect(Buffer.from(key, 'base64url').length).to.be.at.least(16)
  })

  it('delivers binary and text frames in order, kind kept, then a clean 1000 after the last one', async () => {
    const { writer, reader } = await createChannel(context.url)
    const readerEnd = await end(context.url, reader)
    const writerEnd = await end(context.url, writer)
    const sent = [
      { data: randomBytes(1000), binary: true },
      { data: Buffer.from('progress 1'), binary: false },
      { data: randomBytes(65536), binary: true },
      { data: Buffer.from('progress 2'), binary: false },
      { data: randomBytes(1), binary: true },
    ]
    sendAll(writerEnd.ws, sent)
    writerEnd.ws.close(1000)
    expect((await readerEnd.closed).code).to.equal(1000)
    expect(readerEnd.frames.map((frame) => frame.binary)).to.deep.equal(sent.map((frame) => frame.binary))
    readerEnd.frames.forEach((frame, index) => expect(frame.data.equals(sent[index].data)).to.equal(true))
  })

  it('keeps frames for a reader that connects after the writer has finished', async () => {
    const { writer, reader } = await createChannel(context.url)
    const writerEnd = await end(context.url, writer)
    sendAll(writerEnd.ws, [
      { data: 'a', binary: true },
      { data: 'b', binary: false },
    ])
    writerEnd.ws.close(1000)
    expect((await writerEnd.closed).code).to.equal(1000)
    const readerEnd = await end(context.url, reader)
    expect((await readerEnd.closed).code).to.equal(1000)
    expect(describeFrames(readerEnd.frames)).to.deep.equal(['bin:a', 'txt:b'])
  })

  it('ends a reader whose writer closed without writing anything', async () => {
    const { writer, reader } = await createChannel(context.url)
    const readerEnd = await end(context.url, reader)
    ;(await end(context.url, writer)).ws.close(1000)
    expect((await readerEnd.closed).code).to.equal(1000)
    expect(readerEnd.frames).to.have.length(0)
  })

  it('closes the reader with 1011 and the reason when the writer aborts', async () => {
    const { writer, reader } = await createChannel(context.url)
    const readerEnd = await end(context.url, reader)
    const writerEnd = await end(context.url, writer)
    writerEnd.ws.send(Buffer.from('partial'))
    writerEnd.ws.close(4000, 'disk full')
    const { code, reason } = await readerEnd.closed
    expect(describeFrames(readerEnd.frames)).to.deep.equal(['bin:partial'])
    expect(code).to.equal(1011)
    expect(reason).to.contain('disk full')
  })

  it('closes the reader with 1011 when the writer connection drops without a close frame', async () => {
    const { writer, reader } = await createChannel(context.url)
    const readerEnd = await end(context.url, reader)
    const writerEnd = await end(context.url, writer)
    writerEnd.ws.send(Buffer.from('partial'), () => writerEnd.ws.terminate())
    const { code, reason } = await readerEnd.closed
    expect(code).to.equal(1011)
    expect(reason).to.match(/disconnected/)
  })

  it('tells the writer with 4410 when the reader goes away first', async () => {
    const { writer, reader } = await createChannel(context.url)
    const readerEnd = await end(context.url, reader)
    const writerEnd = await end(context.url, writer)
    readerEnd.ws.close(1000)
    const { code, reason } = await writerEnd.closed
    expect(code).to.equal(4410)
    expect(reason).to.match(/reader/)
  })

  it('refuses an unknown channel with 404, a wrong key with 403 and malformed requests with 400', async () => {
    const { writer, reader } = await createChannel(context.url)
    const base = `${context.url}/ws/channels`
    expect((await refusal(`${base}/no-such-channel?key=x&dir=read`)).status).to.equal(404)
    expect((await refusal(`${base}/${reader.channel_id}?key=wrong&dir=read`)).status).to.equal(403)
    expect((await refusal(`${base}/${reader.channel_id}?key=${writer.access_key}&dir=read`)).status).to.equal(403)
    expect((await refusal(`${base}/${reader.channel_id}?key=${reader.access_key}&dir=write`)).status).to.equal(403)
    expect((await refusal(`${base}/${reader.channel_id}?dir=read`)).status).to.equal(400)
    const badDir = await refusal(`${base}/${reader.channel_id}?key=${reader.access_key}&dir=both`)
    expect(badDir.status).to.equal(400)
    expect(badDir.body).to.match(/dir/)
    expect((await refusal(`${context.url}/elsewhere`)).status).to.equal(404)
  })

  it('closes a second connection to a taken end at once with 4409', async () => {
    const { reader } = await createChannel(context.url)
    const first = await end(context.url, reader)
    const second = await end(context.url, reader)
    expect((await second.closed).code).to.equal(4409)
    expect(first.ws.readyState).to.equal(WebSocket.OPEN)
  })

  it('holds at most buffer_size frames, pausing the writer until the reader drains them', async () => {
    const bufferSize = 4
    const { writer, reader } = await createChannel(context.url, bufferSize)
    const paused = firstValueFrom(context.engine.events$.pipe(filter((event) => event.type === 'writer_paused')))
    const writerEnd = await end(context.url, writer)
    const total = 64
    sendAll(
      writerEnd.ws,
      Array.from({ length: total }, (_, index) => ({ data: Buffer.alloc(65536, index), binary: true })),
    )
    expect(await paused).to.deep.include({ type: 'writer_paused', held_frames: bufferSize })
    // ws may still parse frames it had already read when paused: at most what one socket read held.
    expect(context.engine.stats().heldFrames).to.be.within(bufferSize, bufferSize + 2)
    writerEnd.ws.close(1000)
    const readerEnd = await end(context.url, reader)
    expect((await readerEnd.closed).code).to.equal(1000)
    expect(readerEnd.frames).to.have.length(total)
    readerEnd.frames.forEach((frame, index) => expect(frame.data[0]).to.equal(index))
  })
})

describe('channel socket refusals (the table in the README)', () => {
  const context = useEngine()

  it('answers each bad upgrade with its own HTTP status and reason', async () => {
    const { writer, reader } = await createChannel(context.url)
    const base = `${context.url}/ws/channels`
    const id = reader.channel_id
    const cases: Array<[string, string, number, string]> = [
      ['missing key', `${base}/${id}?dir=read`, 400, 'missing key'],
      ['bad dir', `${base}/${id}?key=${reader.access_key}&dir=both`, 400, 'dir must be "read" or "write"'],
      ['malformed id (bad percent-encoding)', `${base}/%E0%A4%A?key=k&dir=read`, 400, 'malformed channel id'],
      ['malformed id (too long)', `${base}/${'a'.repeat(257)}?key=k&dir=read`, 400, 'malformed channel id: longer than 256 characters'],
      ['wrong key', `${base}/${id}?key=wrong&dir=read`, 403, 'access key does not grant read access to this channel'],
      ['the writer key used to read', `${base}/${id}?key=${writer.access_key}&dir=read`, 403, 'access key does not grant read access to this channel'],
      ['the reader key used to write', `${base}/${id}?key=${reader.access_key}&dir=write`, 403, 'access key does not grant write access to this channel'],
      ['unknown id', `${base}/3f1c2a9e-0000-4000-8000-000000000000?key=k&dir=read`, 404, 'unknown or expired channel'],
      ['no such endpoint', `${context.url}/elsewhere`, 404, 'no WebSocket endpoint at /elsewhere'],
    ]
    for (const [what, url, status, body] of cases) {
      expect(await refusal(url), what).to.deep.equal({ status, body })
    }
  })

  for (const direction of ['read', 'write'] as const) {
    it(`closes a second ${direction === 'read' ? 'reader' : 'writer'} with 4409 and a reason; the first keeps working`, async () => {
      const pair = await createChannel(context.url)
      const ref = direction === 'read' ? pair.reader : pair.writer
      const first = await end(context.url, ref)
      const second = await end(context.url, ref)
      expect(await second.closed).to.deep.equal({ code: 4409, reason: `the ${direction} end of this channel is already connected` })
      const other = await end(context.url, direction === 'read' ? pair.writer : pair.reader)
      const [writerEnd, readerEnd] = direction === 'read' ? [other, first] : [first, other]
      writerEnd.ws.send(Buffer.from('ok'))
      writerEnd.ws.close(1000)
      expect((await readerEnd.closed).code).to.equal(1000)
      expect(describeFrames(readerEnd.frames)).to.deep.equal(['bin:ok'])
    })
  }
})
