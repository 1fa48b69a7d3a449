import { expect } from 'chai'
import { RedisUrlRedaction } from '../../../lib/engine/cluster/redis-url'

describe('the Redis URL in logs', () => {
  it('hides the password of the URL, and wherever a message quotes it, encoded or not', () => {
    const redaction = new RedisUrlRedaction('redis://app:s%40cret-pw@redis.internal:6380/2')
    expect(redaction.safeUrl).to.equal('redis://app:***@redis.internal:6380/2')
    expect(redaction.redact('AUTH failed for s@cret-pw and s%40cret-pw')).to.equal('AUTH failed for *** and ***')
  })

  it('leaves a URL without a password as it is', () => {
    expect(new RedisUrlRedaction('redis://127.0.0.1:6379').safeUrl).to.equal('redis://127.0.0.1:6379')
  })

  it('hides the credentials of a URL it cannot parse', () => {
    const redaction = new RedisUrlRedaction('redis://:pa ss@[bad')
    expect(redaction.safeUrl).not.to.include('pa ss')
  })
})
