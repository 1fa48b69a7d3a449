import { expect } from 'chai'
import { createHash, randomBytes } from 'crypto'
import { filter, firstValueFrom, lastValueFrom, merge, map, tap, toArray, type Subscription } from 'rxjs'
import { Readable } from 'stream'
import { pipeline } from 'stream/promises'
import { ChannelError, ChannelReader, ChannelWriter } from '../../lib'
import { useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

const MiB = 1024 * 1024

/** `sizeMiB` of random bytes as a Readable, hashing what it produces. */
function randomSource(sizeMiB: number): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256')
  let produced = 0
  const stream = new Readable({
    read() {
      if (produced === sizeMiB) return void this.push(null)
      produced++
      const chunk = randomBytes(MiB)
      hash.update(chunk)
      this.push(chunk)
    },
  })
  return { stream, digest: () => hash.digest('hex') }
}

async function sha256Of(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of stream) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { sha256: hash.digest('hex'), bytes }
}

describe('channel ends', () => {
  const context = useEngine()
  const worker = useWorkers()

  it('streams 256 MiB of random bytes from writer.stream to reader.stream intact (SHA-256)', async function () {
    this.timeout(120_000)
    const client = await worker(context.url)
    const { writer, reader } = await client.createChannel()
    const source = randomSource(256)
    const [, received] = await Promise.all([pipeline(source.stream, writer.stream), sha256Of(reader.stream)])
    expect(received.bytes).to.equal(256 * MiB)
    expect(received.sha256).to.equal(source.digest())
  })

  it('keeps text messages in order relative to the binary chunks around them', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const sequence = lastValueFrom(
      merge(reader.chunks$.pipe(map((chunk) => `bin:${chunk}`)), reader.messages$.pipe(map((message) => `txt:${message}`))).pipe(toArray()),
    )
    const expected: string[] = []
    for (let index = 0; index < 50; index++) {
      writer.write(Buffer.from(`chunk-${index}`))
      expected.push(`bin:chunk-${index}`)
      if (index % 7 === 0) {
        writer.sendMessage(`progress-${index}`)
        expected.push(`txt:progress-${index}`)
      }
    }
    writer.close()
    expect(await sequence).to.deep.equal(expected)
  })

  it('delivers when the reader connects first, and when it connects after the writer finished', async () => {
    const client = await worker(context.url)
    const early = await client.createChannel()
    const earlyRead = early.reader.readAll()
    early.writer.stream.end(Buffer.from('reader was first'))
    expect((await earlyRead).toString()).to.equal('reader was first')

    const late = await client.createChannel()
    late.writer.stream.end(Buffer.from('writer was first'))
    await lastValueFrom(late.writer.closed$, { defaultValue: undefined })
    expect((await late.reader.readAll()).toString()).to.equal('writer was first')
  })

  it('delivers the end to a reader whose writer wrote nothing', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    writer.close()
    expect((await reader.readAll()).length).to.equal(0)
  })

  it('makes reader.chunks$ error with writer_aborted, not complete, when the writer aborts', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const outcome = lastValueFrom(reader.chunks$.pipe(toArray())).then(
      () => 'completed',
      (error: ChannelError) => error,
    )
    writer.chunks.next(Buffer.from('some data'))
    writer.chunks.error(new Error('source failed'))
    const error = await outcome
    expect(error).to.be.instanceOf(ChannelError)
    expect(error).to.include({ code: 'writer_aborted' })
    expect((error as ChannelError).message).to.contain('source failed')
  })

  it('destroys reader.stream with the abort error', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    writer.write(Buffer.from('partial'))
    writer.abort('producer crashed')
    const failure = await sha256Of(reader.stream).then(
      () => undefined,
      (error: ChannelError) => error,
    )
    expect(failure).to.include({ code: 'writer_aborted' })
  })

  it('refuses a wrong key (403) and an unknown channel (404) with a typed error', async () => {
    const client = await worker(context.url)
    const { writerRef, readerRef } = await client.createChannel()
    const wrongKey = new ChannelReader({ ...readerRef, access_key: writerRef.access_key }, { engineUrl: context.url })
    const refused = await wrongKey.readAll().catch((error: ChannelError) => error)
    expect(refused).to.include({ code: 'channel_refused' })
    expect((refused as ChannelError).details.httpStatus).to.equal(403)

    const unknown = new ChannelWriter({ ...writerRef, channel_id: 'no-such-channel' }, { engineUrl: context.url })
    unknown.close()
    const gone = await lastValueFrom(unknown.closed$, { defaultValue: undefined }).catch((error: ChannelError) => error)
    expect(gone).to.include({ code: 'channel_refused' })
    expect((gone as ChannelError).details.httpStatus).to.equal(404)
  })

  it('fails a second reader of the same ref with end_taken (4409) while the first keeps reading', async () => {
    const { writer, reader, readerRef } = await (await worker(context.url)).createChannel()
    let onFirst = () => undefined as void
    const firstChunk = new Promise<void>((resolve) => (onFirst = resolve))
    const all = lastValueFrom(reader.chunks$.pipe(tap(() => onFirst()), toArray()))
    writer.write(Buffer.from('first '))
    await firstChunk
    const second = new ChannelReader(readerRef, { engineUrl: context.url })
    const taken = await second.readAll().catch((error: ChannelError) => error)
    expect(taken).to.be.instanceOf(ChannelError)
    expect(taken).to.include({ code: 'end_taken' })
    expect((taken as ChannelError).details.closeCode).to.equal(4409)
    writer.stream.end(Buffer.from('and the rest'))
    expect(Buffer.concat(await all).toString()).to.equal('first and the rest')
  })

  it('fails the writer with reader_gone once the reader stops reading', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const firstChunk = firstValueFrom(reader.chunks$)
    writer.write(Buffer.from('hello'))
    expect((await firstChunk).toString()).to.equal('hello')
    const streamError = new Promise<Error>((resolve) => writer.stream.once('error', resolve))
    const closedError = lastValueFrom(writer.closed$, { defaultValue: undefined }).catch((error: ChannelError) => error)
    expect(await closedError).to.include({ code: 'reader_gone' })
    expect(await streamError).to.include({ code: 'reader_gone' })
  })

  it('applies backpressure on writer.stream: write() returns false, then drain fires', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const received = sha256Of(reader.stream)
    const chunk = randomBytes(MiB)
    let writes = 1
    while (writer.stream.write(chunk)) writes++
    expect(writes).to.be.below(64)
    await new Promise((resolve) => writer.stream.once('drain', resolve))
    writer.stream.end()
    expect((await received).bytes).to.equal(writes * MiB)
  })

  it('cuts writes into frames of at most 64 KiB', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const sizes = lastValueFrom(reader.chunks$.pipe(map((chunk) => chunk.length), toArray()))
    writer.write(randomBytes(200 * 1024))
    writer.close()
    expect(await sizes).to.deep.equal([65536, 65536, 65536, 8192])
  })

  it('stops reading its socket while reader.stream is not read, so the engine pauses the writer', async () => {
    // With the default 64 frames (4 MiB) per channel, a reader that keeps reading never fills the engine.
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const writerPaused = firstValueFrom(context.engine.events$.pipe(filter((event) => event.type === 'writer_paused')))
    const total = 64 * MiB
    const source = randomSource(64)
    const sent = pipeline(source.stream, writer.stream)
    // Subscribe without consuming: the Readable fills up, then the reader's socket pauses.
    reader.stream.pause()
    reader.stream.read(0)
    await writerPaused
    const received = await sha256Of(reader.stream)
    await sent
    expect(received).to.deep.equal({ sha256: source.digest(), bytes: total })
  })

  it('keeps messages that arrive before messages$ has a subscriber', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    writer.sendMessage('metadata first')
    writer.write(Buffer.from('body'))
    writer.close()
    expect((await reader.readAll()).toString()).to.equal('body')
    expect(await lastValueFrom(reader.messages$.pipe(toArray()))).to.deep.equal(['metadata first'])
  })

  it('connects a reader that only listens for messages', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const messages: string[] = []
    const done = new Promise<void>((resolve) => reader.messages$.subscribe({ next: (message) => messages.push(message), complete: resolve }))
    writer.sendMessage('one')
    writer.sendMessage('two')
    writer.close()
    await done
    expect(messages).to.deep.equal(['one', 'two'])
  })

  it('releases the channel when the last subscriber unsubscribes', async () => {
    const { writer, reader } = await (await worker(context.url)).createChannel()
    const finished = firstValueFrom(context.engine.events$.pipe(filter((event) => event.type === 'channel_finished')))
    let subscription: Subscription | undefined
    const firstChunk = new Promise((resolve) => (subscription = reader.chunks$.subscribe({ next: resolve, error: () => undefined })))
    writer.write(Buffer.from('x'))
    await firstChunk
    subscription?.unsubscribe()
    await finished
    expect(context.engine.stats().channels).to.equal(0)
  })
})
