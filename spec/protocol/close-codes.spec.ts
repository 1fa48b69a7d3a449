import { expect } from 'chai'
import { CloseCode, isCleanClose } from '../../lib/protocol/close-codes'

describe('isCleanClose', () => {
  it('counts 1000 (the writer finished) as a clean end', () => {
    expect(isCleanClose(1000)).to.equal(true)
    expect(CloseCode.Normal).to.equal(1000)
  })

  it('counts 1005 (no status, how an iii engine ends every reader) as a clean end', () => {
    expect(isCleanClose(1005)).to.equal(true)
    expect(CloseCode.NoStatus).to.equal(1005)
  })

  const errors: Array<[number, string]> = [
    [1001, 'engine going away'],
    [1006, 'connection dropped without a close frame'],
    [1009, 'frame too big'],
    [1011, 'writer aborted'],
    [4409, 'end already taken'],
    [4410, 'reader gone'],
  ]
  for (const [code, meaning] of errors) {
    it(`counts ${code} (${meaning}) as an error, not an end`, () => {
      expect(isCleanClose(code)).to.equal(false)
    })
  }

  it('counts every named code other than Normal and NoStatus as an error', () => {
    const clean = Object.entries(CloseCode).filter(([, code]) => isCleanClose(code)).map(([name]) => name)
    expect(clean).to.have.members(['Normal', 'NoStatus'])
  })
})
