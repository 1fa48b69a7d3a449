import { expect } from 'chai'
import * as t from 'io-ts'
import { lastValueFrom, of, toArray, type Observable } from 'rxjs'
import { RxChannelsError, StreamError } from '../../lib'
import { countBytes } from '../../lib/operators/count-bytes'
import { decodeJson } from '../../lib/operators/decode-json'
import { parseNdjson } from '../../lib/operators/parse-ndjson'
import { rechunk } from '../../lib/operators/rechunk'
import { splitLines } from '../../lib/operators/split-lines'
import { bytes, marbles } from '../support/marbles'

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

describe('splitLines({ maxLineBytes })', () => {
  const tooLong = new StreamError('line_too_long', 'a line is longer than 4 bytes (maxLineBytes)')

  it('ends with line_too_long as soon as a line without its end passes the limit, however it was cut', () => {
    marbles().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', { a: 'ok\nab', b: 'c', c: 'de', d: '\n' })
      expectObservable(source.pipe(splitLines({ maxLineBytes: 4 }))).toBe('-x---#', { x: 'ok' }, tooLong)
    })
  })

  it('ends with line_too_long for a whole line over the limit, counting UTF-8 bytes and not the line end', () => {
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b|', { a: 'abcd\r\n€€\n', b: 'x' }).pipe(splitLines({ maxLineBytes: 4 }))).toBe('-(x#)', { x: 'abcd' }, tooLong)
      expectObservable(cold('-a-(b|)', { a: 'abcd\r', b: '\n€\n' }).pipe(splitLines({ maxLineBytes: 4 }))).toBe('---(xy|)', { x: 'abcd', y: '€' })
    })
  })

  it('refuses a limit that is not a number >= 0', () => {
    for (const maxLineBytes of [-1, NaN]) expect(() => splitLines({ maxLineBytes })).to.throw(RxChannelsError, /maxLineBytes/)
  })

  it('parseNdjson passes maxLineBytes on: a record over it ends the stream with line_too_long', async () => {
    const failure = await lastValueFrom(of(Buffer.from('{"id":1}\n{"id":'), Buffer.from('22}\n')).pipe(parseNdjson(undefined, { maxLineBytes: 8 }), toArray())).catch((error: unknown) => error)
    expect(failure).to.be.instanceOf(StreamError).and.include({ code: 'line_too_long' })
  })
})

describe('operators that run user code or get values of the wrong type', () => {
  const boom = new Error('boom')
  const settled = (values: Observable<unknown>) => lastValueFrom(values.pipe(toArray())).then((out) => ({ out }), (error: unknown) => ({ error }))

  it('countBytes errors the stream with what report threw, on a value and at completion', async () => {
    expect(await settled(of(bytes('abc')).pipe(countBytes(() => { throw boom }, { everyBytes: 1 })))).to.deep.equal({ error: boom })
    expect(await settled(of(bytes('abc')).pipe(countBytes((progress) => { if (progress.done) throw boom })))).to.deep.equal({ error: boom })
  })

  it('decodeJson and parseNdjson error the stream with what the codec threw', async () => {
    const Throwing = new t.Type<number>('Throwing', (value): value is number => typeof value === 'number', () => { throw boom }, Number)
    expect(await settled(of('1').pipe(decodeJson(Throwing)))).to.deep.equal({ error: boom })
    expect(await settled(of(bytes('1\n')).pipe(parseNdjson(Throwing)))).to.deep.equal({ error: boom })
  })

  it('rechunk and splitLines error the stream on a value of the wrong type from untyped code', async () => {
    const rechunked = await settled(of('not bytes' as unknown as Uint8Array).pipe(rechunk(4)))
    expect(rechunked).to.have.property('error').that.is.instanceOf(TypeError)
    const split = await settled(of(42 as unknown as string).pipe(splitLines()))
    expect(split).to.have.property('error').that.is.instanceOf(TypeError)
  })
})
