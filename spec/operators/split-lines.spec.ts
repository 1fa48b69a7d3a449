import { splitLines } from '../../lib/operators/split-lines'
import { marbles } from '../support/marbles'

describe('splitLines', () => {
  it('emits whole lines however the text was cut, and the last line at completion', () => {
    marbles().run(({ cold, expectObservable }) => {
      const source = cold('-a--b--c-|', { a: 'one\ntw', b: 'o\r\nthr', c: 'ee' })
      expectObservable(source.pipe(splitLines())).toBe('-x--y----(z|)', { x: 'one', y: 'two', z: 'three' })
    })
  })

  it('keeps empty lines between line ends and passes errors on', () => {
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-----#', { a: 'x\n\n' }).pipe(splitLines())).toBe('-(xy)--#', { x: 'x', y: '' })
    })
  })
})
