import { expect } from 'chai'
import { silentLogger, startEngine } from '../../lib'
import { channelUrl } from '../../lib/protocol/channel-url'
import { createRawChannel, openRaw, rawWorker, recordingLogger, refusal, useEngine } from '../support/engine'

const from = (origin: string) => ({ origin })

describe('upgrade origins (allowedOrigins)', () => {
  describe('by default: loopback pages only', () => {
    const logger = recordingLogger()
    const context = useEngine({ logger })

    it('refuses a page from another site with 403 naming its origin, on worker, channel and /otel sockets, and logs it once per window', async () => {
      const { reader } = await createRawChannel(context.url)
      const expected = { status: 403, body: 'origin https://evil.example is not allowed (allowedOrigins)' }
      for (const url of [context.url, channelUrl(context.url, reader), `${context.url}/otel`]) {
        expect(await refusal(url, from('https://evil.example'))).to.deep.equal(expected)
      }
      // A page may retry in a loop: the first refusal is logged, the next ones within 10 s are counted in the next line.
      expect(logger.lines.filter((line) => line.includes('not allowed'))).to.deep.equal([
        'warn: refused an upgrade from 127.0.0.1: origin https://evil.example is not allowed (allowedOrigins)',
      ])
    })

    it('refuses the opaque origin "null" (sandboxed frames, file:// pages) and look-alikes of loopback', async () => {
      for (const origin of ['null', 'http://localhost.evil.example', 'http://127.0.0.1.evil.example:80', 'http://localhost:80x', 'ftp://localhost:21']) {
        expect((await refusal(context.url, from(origin))).status, origin).to.equal(403)
      }
    })

    it('accepts pages on loopback, any port, http or https, and clients that send no Origin', async () => {
      for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:3000', 'https://localhost', 'HTTP://LOCALHOST:1']) {
        const worker = await rawWorker(context.url, from(origin))
        expect((await worker.next('workerregistered')).worker_id, origin).to.be.a('string')
        worker.ws.close()
      }
      const { writer } = await createRawChannel(context.url)
      ;(await openRaw(channelUrl(context.url, writer))).ws.close()
    })
  })

  describe('an explicit list', () => {
    const context = useEngine({ allowedOrigins: ['https://app.example', 'http://dev.example:*'] })

    it('accepts the origins it names and refuses the rest, loopback included', async () => {
      for (const origin of ['https://app.example', 'http://dev.example:8080', 'http://dev.example']) {
        const worker = await rawWorker(context.url, from(origin))
        expect((await worker.next('workerregistered')).worker_id, origin).to.be.a('string')
        worker.ws.close()
      }
      for (const origin of ['https://app.example:8443', 'http://app.example', 'http://localhost:5173']) {
        expect((await refusal(context.url, from(origin))).status, origin).to.equal(403)
      }
    })
  })

  describe('"*"', () => {
    const context = useEngine({ allowedOrigins: ['*'] })

    it('accepts every origin', async () => {
      const worker = await rawWorker(context.url, from('https://evil.example'))
      expect((await worker.next('workerregistered')).worker_id).to.be.a('string')
      worker.ws.close()
    })
  })

  it('refuses to start with an entry that is no origin, naming it', async () => {
    for (const entry of ['https://app.example/', 'app.example', 'https://app.example:port', 'https://*.example']) {
      const started = startEngine({ port: 0, logger: silentLogger, allowedOrigins: [entry] })
      await started.then(
        async (engine) => {
          await engine.close()
          expect.fail(`started with ${entry}`)
        },
        (error: Error & { code?: string }) => {
          expect(error.code).to.equal('invalid_option')
          expect(error.message).to.contain(entry)
        },
      )
    }
  })
})
