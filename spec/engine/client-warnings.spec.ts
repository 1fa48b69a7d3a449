import { expect } from 'chai'
import { ClientWarnings } from '../../lib/engine/client-warnings'
import { rawWorker, recordingLogger, sendJson, useEngine } from '../support/engine'

describe('warnings a client causes', () => {
  it('are logged once per kind per window, the next one saying how many were left out', () => {
    const logger = recordingLogger()
    let now = 0
    const warnings = new ClientWarnings(logger, () => now, 1000)
    for (let call = 0; call < 500; call++) warnings.warn('missing', 'fire-and-forget f: not found', { code: 'function_not_found' })
    warnings.warn('rejected', 'rejected frame')
    now = 1000
    warnings.warn('missing', 'fire-and-forget f: not found', { code: 'function_not_found' })
    expect(logger.entries).to.deep.equal([
      { level: 'warn', message: 'fire-and-forget f: not found', fields: { code: 'function_not_found' } },
      { level: 'warn', message: 'rejected frame', fields: {} },
      { level: 'warn', message: 'fire-and-forget f: not found (and 499 more like it, not logged)', fields: { code: 'function_not_found', suppressed: 499 } },
    ])
  })

  describe('on a real engine', () => {
    const logger = recordingLogger()
    const context = useEngine({ logger })

    it('a worker repeating one mistake 1000 times a burst makes one warn line of each kind, and is still answered', async () => {
      const worker = await rawWorker(context.url)
      for (let call = 0; call < 1000; call++) {
        sendJson(worker.ws, { type: 'invokefunction', function_id: 'missing', data: null, action: { type: 'void' } })
        sendJson(worker.ws, { type: 'invokefunction', function_id: 42 })
      }
      sendJson(worker.ws, { type: 'invokefunction', function_id: 'missing', invocation_id: 'last', data: null })
      const answer = (await worker.next('invocationresult')) as { error?: { code: string } }
      expect(answer.error?.code).to.equal('function_not_found')
      const warned = logger.entries.filter((entry) => entry.level === 'warn').map((entry) => entry.message)
      expect(warned.filter((line) => line.includes('fire-and-forget missing'))).to.have.length(1)
      expect(warned.filter((line) => line.includes('rejected frame'))).to.have.length(1)
    })
  })
})
