import { expect } from 'chai'
import { rawWorker, useEngine } from '../support/engine'
import { halfSentUpgrade, rawTcp, wholeUpgrade, type RawTcp } from '../support/tcp'

const statusLine = (answer: string) => answer.split('\r\n')[0]
const body = (answer: string) => answer.slice(answer.indexOf('\r\n\r\n') + 4).trim()

describe('connection limits', () => {
  describe('maxConnections with upgradeTimeoutMs', () => {
    const context = useEngine({ maxConnections: 20, upgradeTimeoutMs: 300 })

    it('answers connections over the cap with 503, times out half-sent and silent upgrades, then serves a new worker', async () => {
      const flood: RawTcp[] = []
      // Half of them send part of an upgrade, the other half nothing at all.
      for (let i = 0; i < 20; i++) flood.push(await rawTcp(context.engine.port, i % 2 === 0 ? halfSentUpgrade() : ''))
      const over = await rawTcp(context.engine.port, wholeUpgrade())
      const refused = await over.answer
      expect(statusLine(refused)).to.equal('HTTP/1.1 503 Service Unavailable')
      expect(body(refused)).to.equal('engine at its connection limit (maxConnections 20); retry later')

      const answers = await Promise.all(flood.map((client) => client.answer))
      expect(answers.map(statusLine)).to.deep.equal(answers.map(() => 'HTTP/1.1 408 Request Timeout'))
      expect(body(answers[0] ?? '')).to.equal('request not complete within 300 ms (upgradeTimeoutMs)')
      const worker = await rawWorker(context.url)
      expect(await worker.next('workerregistered')).to.have.property('worker_id')
      expect(context.engine.stats().connections).to.equal(1)
      worker.ws.close()
    })
  })

  describe('maxConnectionsPerAddress', () => {
    const context = useEngine({ maxConnectionsPerAddress: 3 })
    const held: RawTcp[] = []
    afterEach(() => held.splice(0).forEach((client) => client.socket.destroy()))

    it('answers a connection over the cap of its address with 429, and still admits other addresses', async () => {
      for (let i = 0; i < 3; i++) held.push(await rawTcp(context.engine.port, halfSentUpgrade()))
      const refused = await (await rawTcp(context.engine.port, wholeUpgrade())).answer
      expect(statusLine(refused)).to.equal('HTTP/1.1 429 Too Many Requests')
      expect(body(refused)).to.equal('too many connections from 127.0.0.1 (maxConnectionsPerAddress 3)')

      const elsewhere = await rawWorker(context.url, { localAddress: '127.0.0.2' })
      expect(await elsewhere.next('workerregistered')).to.have.property('worker_id')
      elsewhere.ws.close()
    })
  })
})
