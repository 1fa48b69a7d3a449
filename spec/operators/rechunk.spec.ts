import { expect } from 'chai'
import { lastValueFrom, map, of, toArray } from 'rxjs'
import { RxChannelsError } from '../../lib'
import { rechunk } from '../../lib/operators/rechunk'
import { bytes, marbles } from '../support/marbles'

describe('rechunk', () => {
  it('cuts bytes into chunks of exactly the size, holding back the rest until more arrives', () => {
    marbles().run(({ cold, expectObservable }) => {
      const source = cold('-a--b----c-|', { a: bytes('abc'), b: bytes('defghi'), c: bytes('j') })
      expectObservable(source.pipe(rechunk(4), map(String))).toBe('----(xy)---(z|)', { x: 'abcd', y: 'efgh', z: 'ij' })
    })
  })

  it('emits nothing for an empty source and keeps errors', () => {
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold<Buffer>('--|').pipe(rechunk(4))).toBe('--|')
      expectObservable(cold('-a-#', { a: bytes('ab') }).pipe(rechunk(4))).toBe('---#')
    })
  })

  it('keeps every byte in order for any input split', async () => {
    const input = Buffer.from(Array.from({ length: 1000 }, (_, index) => index % 251))
    const pieces = [0, 1, 7, 300, 301, 999, 1000].reduce<Buffer[]>((parts, end, index, ends) => (index === 0 ? parts : [...parts, input.subarray(ends[index - 1], end)]), [])
    const out = await lastValueFrom(of(...pieces).pipe(rechunk(64), toArray()))
    expect(out.slice(0, -1).every((chunk) => chunk.length === 64)).to.equal(true)
    expect(Buffer.concat(out).equals(input)).to.equal(true)
  })

  it('refuses a size that is not a whole number of at least 1', () => {
    for (const size of [0, -1, 1.5, NaN]) expect(() => rechunk(size)).to.throw(RxChannelsError, /rechunk size/)
  })
})
