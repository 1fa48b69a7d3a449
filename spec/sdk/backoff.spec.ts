import { expect } from 'chai'
import { backoffDelay, DEFAULT_RECONNECT_POLICY, type ReconnectPolicy } from '../../lib/sdk/backoff'

/** The delays of the first `count` reconnect attempts, with `random()` fixed to `value`. */
function delays(policy: ReconnectPolicy, count: number, value: number): number[] {
  return Array.from({ length: count }, (_, attempt) => backoffDelay(policy, attempt, () => value))
}

describe('backoffDelay', () => {
  it('with the default policy matches the official client: 1 s initial, factor 2, 30 s cap, 30% jitter', () => {
    expect(DEFAULT_RECONNECT_POLICY).to.deep.include({ initialDelayMs: 1_000, factor: 2, maxDelayMs: 30_000, jitter: 0.3 })
  })

  it('doubles from 1000 ms up to the 30000 ms cap when the jitter is centred (random 0.5)', () => {
    expect(delays(DEFAULT_RECONNECT_POLICY, 8, 0.5)).to.deep.equal([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000])
  })

  it('stays at the cap for attempts so high that factor ** attempt overflows to Infinity', () => {
    expect(backoffDelay(DEFAULT_RECONNECT_POLICY, 10_000, () => 0.5)).to.equal(30_000)
  })

  it('takes 30% off the delay when random() is 0', () => {
    expect(delays(DEFAULT_RECONNECT_POLICY, 7, 0)).to.deep.equal([700, 1400, 2800, 5600, 11200, 21000, 21000])
  })

  it('adds 30% to the delay when random() is 1, so a jittered delay may exceed the cap', () => {
    expect(delays(DEFAULT_RECONNECT_POLICY, 7, 1)).to.deep.equal([1300, 2600, 5200, 10400, 20800, 39000, 39000])
  })

  it('stays within those bounds for any random() in [0, 1)', () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const centre = Math.min(1000 * 2 ** attempt, 30_000)
      for (const value of [0, 0.1, 0.25, 0.5, 0.75, 0.999999]) {
        const delay = backoffDelay(DEFAULT_RECONNECT_POLICY, attempt, () => value)
        expect(delay, `attempt ${attempt}, random ${value}`).to.be.within(Math.floor(centre * 0.7), Math.floor(centre * 1.3))
        expect(Number.isInteger(delay)).to.equal(true)
      }
    }
  })

  it('is never negative, even with a jitter above 100%', () => {
    const wild: ReconnectPolicy = { ...DEFAULT_RECONNECT_POLICY, jitter: 2 }
    expect(delays(wild, 8, 0)).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0])
  })

  it('is 0 for a policy without delay', () => {
    const immediate: ReconnectPolicy = { ...DEFAULT_RECONNECT_POLICY, initialDelayMs: 0 }
    expect(delays(immediate, 3, 0.5)).to.deep.equal([0, 0, 0])
  })
})
