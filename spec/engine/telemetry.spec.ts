import { expect } from 'chai'
import WebSocket from 'ws'
import { openRaw, refusal, useEngine } from '../support/engine'
import { rawTcp, wholeUpgrade } from '../support/tcp'

const TOKEN = 'tok_5b2e7c9d1a4f8e3b6c0d2a9f7e1b4c8d'

describe('the /otel telemetry endpoint', () => {
  describe('on an engine started with a token', () => {
    const context = useEngine({ token: TOKEN })

    it('refuses a socket without the token, or with a wrong one, with HTTP 401', async () => {
      expect(await refusal(`${context.url}/otel`)).to.deep.equal({
        status: 401,
        body: 'missing token: send "Authorization: Bearer <token>" or ?token=<token>',
      })
      expect(await refusal(`${context.url}/otel?token=wrong`)).to.deep.equal({ status: 401, body: 'invalid token' })
      const raw = await (await rawTcp(context.engine.port, wholeUpgrade('/otel'))).answer
      expect(raw).to.match(/^HTTP\/1\.1 401 Unauthorized\r\n/)
      expect(context.engine.stats().sockets).to.equal(0)
    })

    it('accepts the token as the official client sends it, in the URL it was given', async () => {
      const telemetry = await openRaw(`${context.url}/otel?token=${TOKEN}`)
      expect(telemetry.ws.readyState).to.equal(WebSocket.OPEN)
      telemetry.ws.close()
    })
  })

  describe('limits', () => {
    const context = useEngine({ maxTelemetryMessageBytes: 1024, telemetryIdleMs: 200 })

    it('closes a socket that sends a message over maxTelemetryMessageBytes with 1009 and a reason', async () => {
      const telemetry = await openRaw(`${context.url}/otel`)
      telemetry.ws.send(Buffer.concat([Buffer.from('OTLP'), Buffer.alloc(1020)]))
      telemetry.ws.send(Buffer.concat([Buffer.from('OTLP'), Buffer.alloc(1021)]))
      expect(await telemetry.closed).to.deep.equal({ code: 1009, reason: 'message over the 1024-byte limit (maxTelemetryMessageBytes)' })
    })

    it('closes a socket idle for telemetryIdleMs, and keeps one that sends', async () => {
      const idle = await openRaw(`${context.url}/otel`)
      const busy = await openRaw(`${context.url}/otel`)
      const sending = setInterval(() => busy.ws.send(Buffer.from('MTRC{}')), 20)
      try {
        expect(await idle.closed).to.deep.equal({ code: 1000, reason: 'telemetry socket idle for 200 ms (telemetryIdleMs)' })
        expect(busy.ws.readyState).to.equal(WebSocket.OPEN)
      } finally {
        clearInterval(sending)
        busy.ws.close()
      }
    })

    it('cuts a socket that does not answer pings', async () => {
      const telemetry = await openRaw(`${context.url}/otel`, { autoPong: false })
      const sending = setInterval(() => telemetry.ws.send(Buffer.from('MTRC{}')), 20)
      try {
        expect((await telemetry.closed).code).to.equal(1006)
      } finally {
        clearInterval(sending)
      }
    })
  })
})
