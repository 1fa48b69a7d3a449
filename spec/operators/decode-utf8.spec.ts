import { expect } from 'chai'
import { lastValueFrom, of, toArray } from 'rxjs'
import { DecodeError } from '../../lib'
import { decodeUtf8 } from '../../lib/operators/decode-utf8'
import { marbles } from '../support/marbles'

describe('decodeUtf8', () => {
  it('keeps a character whole when a chunk boundary cuts it', () => {
    marbles().run(({ cold, expectObservable }) => {
      const source = cold('-a--b-|', { a: Buffer.from([0xe2, 0x82]), b: Buffer.from([0xac, 0x21]) })
      expectObservable(source.pipe(decodeUtf8())).toBe('----b-|', { b: '€!' })
    })
  })

  it('errors with a DecodeError on invalid UTF-8 instead of replacing it', async () => {
    const failure = await lastValueFrom(of(Buffer.from([0x61, 0xff])).pipe(decodeUtf8())).catch((error: unknown) => error)
    expect(failure).to.be.instanceOf(DecodeError)
    expect(failure).to.include({ code: 'decode_failed' })
  })

  it('errors when the stream ends inside a character', async () => {
    const failure = await lastValueFrom(of(Buffer.from([0x61, 0xe2, 0x82])).pipe(decodeUtf8(), toArray())).catch((error: unknown) => error)
    expect(failure).to.be.instanceOf(DecodeError)
  })
})
