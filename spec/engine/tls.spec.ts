import { expect } from 'chai'
import { createHash, randomBytes } from 'crypto'
import { ChannelError, ChannelReader } from '../../lib'
import { nextEvent, rawWorker, refusal } from '../support/engine'
import { rawTcp } from '../support/tcp'
import { useTlsEngine } from '../support/tls'
import { useWorkers } from '../support/workers'

const MiB = 1024 * 1024

describe('TLS: an engine serving wss:// with a self-signed certificate made by openssl', () => {
  const worker = useWorkers()
  const secure = useTlsEngine()

  it('has a wss:// url, and SDK workers that trust the certificate (tls.ca) call each other over it', async () => {
    expect(secure.engine.url).to.match(/^wss:\/\/127\.0\.0\.1:\d+$/)
    const tls = { ca: secure.certificate.cert }
    const callee = await worker(secure.engine.url, { tls })
    callee.registerFunction('secure.echo', (input: unknown) => ({ echoed: input }))
    await callee.ready()
    const caller = await worker(secure.engine.url, { tls })
    expect(await caller.trigger({ function_id: 'secure.echo', payload: 'over TLS' })).to.deep.equal({ echoed: 'over TLS' })
  })

  it('carries 32 MiB through a channel over wss with backpressure: the engine pauses the writer, write() returns false, nothing is lost', async () => {
    const client = await worker(secure.engine.url, { tls: { ca: secure.certificate.cert } })
    const { writer, reader } = await client.createChannel(8)
    const writerPaused = nextEvent(secure.engine, 'writer_paused')
    // The reader subscribes without consuming: its buffer fills, its socket pauses, the engine fills.
    reader.stream.pause()
    reader.stream.read(0)

    const sent = createHash('sha256')
    let refusedWrites = 0
    const writing = (async () => {
      for (let index = 0; index < 32; index++) {
        const chunk = randomBytes(MiB)
        sent.update(chunk)
        if (!writer.stream.write(chunk)) {
          refusedWrites++
          await new Promise((resolve) => writer.stream.once('drain', resolve))
        }
      }
      await new Promise<void>((resolve, reject) => writer.stream.end((error?: Error | null) => (error ? reject(error) : resolve())))
    })()
    expect(await writerPaused).to.deep.include({ held_frames: 8 })

    const received = createHash('sha256')
    let bytes = 0
    for await (const chunk of reader.stream) {
      received.update(chunk as Buffer)
      bytes += (chunk as Buffer).length
    }
    await writing
    expect(bytes).to.equal(32 * MiB)
    expect(received.digest('hex')).to.equal(sent.digest('hex'))
    expect(refusedWrites).to.be.above(0)
  })

  it('fails a channel end that does not trust the certificate with a typed error, and keeps serving', async () => {
    const client = await worker(secure.engine.url, { tls: { ca: secure.certificate.cert } })
    const { writer, readerRef } = await client.createChannel()
    const untrusting = new ChannelReader(readerRef, { engineUrl: secure.engine.url })
    const error = await untrusting.readAll().then(
      () => undefined,
      (failure: ChannelError) => failure,
    )
    expect(error).to.be.instanceOf(ChannelError)
    expect(error).to.include({ code: 'channel_closed' })
    expect(error?.message).to.match(/self[- ]signed certificate/)
    const trusting = new ChannelReader(readerRef, { engineUrl: secure.engine.url, connect: { tls: { ca: secure.certificate.cert } } })
    writer.stream.end(Buffer.from('still served'))
    expect((await trusting.readAll()).toString()).to.equal('still served')
  })
})

describe('TLS: connection limits on a wss:// engine', () => {
  const secure = useTlsEngine({ maxConnectionsPerAddress: 1, upgradeTimeoutMs: 300 })

  it('answers a connection over a cap with its status after the TLS handshake, and drops one that never starts the handshake', async () => {
    const silent = await rawTcp(secure.engine.port, '')
    const options = { ca: secure.certificate.cert }
    expect(await refusal(secure.engine.url, options)).to.deep.equal({ status: 429, body: 'too many connections from 127.0.0.1 (maxConnectionsPerAddress 1)' })
    await silent.answer
    const worker = await rawWorker(secure.engine.url, options)
    expect(await worker.next('workerregistered')).to.have.property('worker_id')
    worker.ws.close()
  })
})
