import { expect } from 'chai'
import * as t from 'io-ts'
import { lastValueFrom, of, toArray } from 'rxjs'
import { DecodeError } from '../../lib'
import { decodeJson } from '../../lib/operators/decode-json'
import { encodeJson } from '../../lib/operators/encode-json'
import { encodeNdjson } from '../../lib/operators/encode-ndjson'
import { parseNdjson } from '../../lib/operators/parse-ndjson'
import { marbles } from '../support/marbles'

const Progress = t.type({ type: t.literal('progress'), bytes: t.number }, 'Progress')

describe('encodeJson and decodeJson', () => {
  it('round-trips typed messages through their codec', () => {
    marbles().run(({ cold, expectObservable }) => {
      const values = { a: { type: 'progress' as const, bytes: 1 }, b: { type: 'progress' as const, bytes: 2 } }
      expectObservable(cold('-a-b-|', values).pipe(encodeJson(Progress), decodeJson(Progress))).toBe('-a-b-|', values)
    })
  })

  it('ends with a DecodeError naming the bad field, and no crash, when the codec refuses a message', async () => {
    const failure = await lastValueFrom(of('{"type":"progress","bytes":"many"}').pipe(decodeJson(Progress))).catch((error: unknown) => error)
    expect(failure).to.be.instanceOf(DecodeError)
    expect((failure as DecodeError).message).to.match(/bytes: expected number/)
  })

  it('ends with a DecodeError on text that is not JSON', () => {
    marbles().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c|', { a: '{"type":"progress","bytes":1}', b: 'oops', c: '{}' }).pipe(decodeJson(Progress))).toBe(
        '-a-#',
        { a: { type: 'progress', bytes: 1 } },
        new DecodeError('not JSON: Unexpected token \'o\', "oops" is not valid JSON'),
      )
    })
  })
})

describe('parseNdjson and encodeNdjson', () => {
  const Record = t.type({ id: t.number })

  it('decodes records split across chunks, skipping blank lines', async () => {
    const text = Buffer.concat((await lastValueFrom(of({ id: 1 }, { id: 2 }, { id: 3 }).pipe(encodeNdjson(), toArray()))) as Buffer[])
    const pieces = [text.subarray(0, 5), text.subarray(5, 9), Buffer.from('\n'), text.subarray(9, 13), text.subarray(13)]
    expect(await lastValueFrom(of(...pieces).pipe(parseNdjson(Record), toArray()))).to.deep.equal([{ id: 1 }, { id: 2 }, { id: 3 }])
  })

  it('ends with a DecodeError on a record the codec refuses', async () => {
    const failure = await lastValueFrom(of(Buffer.from('{"id":1}\n{"id":"x"}\n')).pipe(parseNdjson(Record), toArray())).catch((error: unknown) => error)
    expect(failure).to.be.instanceOf(DecodeError)
  })
})
