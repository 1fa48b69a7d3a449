import { expect } from 'chai'
import { countBytes, type ByteProgress } from '../../lib/operators/count-bytes'
import { bytes, marbles } from '../support/marbles'

describe('countBytes', () => {
  it('passes chunks through and reports each time another everyBytes have passed, then once at the end', () => {
    const reports: ByteProgress[] = []
    marbles().run(({ cold, expectObservable }) => {
      const values = { a: bytes('a'.repeat(40)), b: bytes('b'.repeat(40)), c: bytes('c'.repeat(100)) }
      expectObservable(cold('-a-b-c-|', values).pipe(countBytes((progress) => reports.push(progress), { everyBytes: 64 }))).toBe('-a-b-c-|', values)
    })
    expect(reports).to.deep.equal([
      { bytes: 80, chunks: 2, done: false },
      { bytes: 180, chunks: 3, done: false },
      { bytes: 180, chunks: 3, done: true },
    ])
  })

  it('does not report completion for a stream that errored', () => {
    const reports: ByteProgress[] = []
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#', { a: bytes('x') }).pipe(countBytes((progress) => reports.push(progress)))).toBe('-a-#', { a: bytes('x') })
    })
    expect(reports).to.deep.equal([])
  })
})
