import { expect } from 'chai'
import { asError, messageOf, StreamError } from '../lib/errors'

describe('what RxJS and catch hand over as an error', () => {
  it('messageOf gives an Error its message and anything else its string form', () => {
    expect(messageOf(new StreamError('stream_closed', 'gone'))).to.equal('gone')
    expect(messageOf('plain text')).to.equal('plain text')
    expect(messageOf(42)).to.equal('42')
    expect(messageOf(undefined)).to.equal('undefined')
  })

  it('asError keeps an Error as it is and makes anything else the message of a new one', () => {
    const error = new StreamError('stream_closed', 'gone')
    expect(asError(error)).to.equal(error)
    const wrapped = asError({ toString: () => 'odd value' })
    expect(wrapped).to.be.instanceOf(Error)
    expect(wrapped.message).to.equal('odd value')
  })
})
