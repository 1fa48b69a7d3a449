import { expect } from 'chai'
import * as E from 'fp-ts/Either'
import * as t from 'io-ts'
import { decodesToItself, describeErrors, failureReason, messageDecoder, type DecodeFailure } from '../../lib/protocol/decode'
import { EngineToWorker, InvocationResult, InvokeFunction, RegisterFunction, WorkerToEngine } from '../../lib/protocol/messages'

const decodeFromWorker = messageDecoder(WorkerToEngine)
const decodeFromEngine = messageDecoder(EngineToWorker)

/** The decoded message; fails the test with the failure reason if the frame did not decode. */
function decoded<A>(result: E.Either<DecodeFailure, A>): A {
  if (E.isLeft(result)) expect.fail(`expected the frame to decode, got ${JSON.stringify(result.left)}`)
  return result.right
}

/** The decode failure; fails the test if the frame decoded. */
function failed(result: E.Either<DecodeFailure, unknown>): DecodeFailure {
  if (E.isRight(result)) expect.fail(`expected a decode failure, got ${JSON.stringify(result.right)}`)
  return result.left
}

/** Decodes `message` as a JSON text frame from a worker and expects it back unchanged. */
function roundTrips(message: Record<string, unknown>): void {
  expect(decoded(decodeFromWorker(JSON.stringify(message)))).to.deep.equal(message)
}

/** The errors of a codec that is expected to reject `value`. */
function errorsOf(codec: t.Decoder<unknown, unknown>, value: unknown): t.Errors {
  const result = codec.decode(value)
  if (E.isRight(result)) expect.fail(`expected ${JSON.stringify(value)} to be rejected`)
  return result.left
}

describe('messageDecoder', () => {
  describe('with the worker-to-engine table', () => {
    it('decodes a registerfunction with only an id', () => {
      roundTrips({ type: 'registerfunction', id: 'math.add' })
    })

    it('decodes a registerfunction with description, request and response formats and metadata', () => {
      roundTrips({
        type: 'registerfunction',
        id: 'math.add',
        description: 'adds two numbers',
        request_format: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } },
        response_format: { type: 'number' },
        metadata: { team: 'core', tags: ['math'] },
      })
    })

    it('decodes an unregisterfunction', () => {
      roundTrips({ type: 'unregisterfunction', id: 'math.add' })
    })

    it('decodes an invokefunction with an invocation_id', () => {
      roundTrips({ type: 'invokefunction', invocation_id: 'inv-1', function_id: 'math.add', data: { a: 2, b: 3 } })
    })

    it('decodes a fire-and-forget invokefunction without an invocation_id', () => {
      roundTrips({ type: 'invokefunction', function_id: 'log.write', data: 'line' })
    })

    it('decodes an invokefunction with a void action', () => {
      roundTrips({ type: 'invokefunction', function_id: 'log.write', data: 'line', action: { type: 'void' } })
    })

    it('decodes an invokefunction with an enqueue action naming its queue', () => {
      roundTrips({ type: 'invokefunction', invocation_id: 'inv-2', function_id: 'jobs.run', data: {}, action: { type: 'enqueue', queue: 'q' } })
    })

    it('decodes an invokefunction carrying traceparent, baggage and metadata', () => {
      roundTrips({
        type: 'invokefunction',
        invocation_id: 'inv-3',
        function_id: 'math.add',
        data: { a: 1, b: 1 },
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        baggage: 'user=alice',
        metadata: { attempt: 1 },
      })
    })

    it('decodes an invokefunction with no data field at all', () => {
      const message = decoded(decodeFromWorker('{"type":"invokefunction","invocation_id":"inv-4","function_id":"clock.now"}'))
      expect(message).to.deep.equal({ type: 'invokefunction', invocation_id: 'inv-4', function_id: 'clock.now' })
      expect(message).not.to.have.property('data')
    })

    it('decodes an invocationresult with a result', () => {
      roundTrips({ type: 'invocationresult', invocation_id: 'inv-1', function_id: 'math.add', result: 5 })
    })

    it('decodes an invocationresult with an error of code, message and stacktrace', () => {
      roundTrips({
        type: 'invocationresult',
        invocation_id: 'inv-1',
        error: { code: 'invocation_failed', message: 'boom', stacktrace: 'Error: boom\n    at handler (worker.ts:1:1)' },
      })
    })

    it('decodes an invocationresult whose error has no stacktrace', () => {
      roundTrips({ type: 'invocationresult', invocation_id: 'inv-1', error: { code: 'function_not_found', message: 'Function not found' } })
    })

    it('decodes a reattach', () => {
      roundTrips({ type: 'reattach', previous_worker_id: 'w-1', reattach_token: 'secret-token-0123456789' })
    })

    it('keeps unknown fields, at the top level and inside nested codecs', () => {
      roundTrips({
        type: 'invocationresult',
        invocation_id: 'inv-1',
        error: { code: 'x', message: 'y', details: { retry: true } },
        future_field: [1, 2, 3],
      })
    })
  })

  describe('with frames exactly as the iii-sdk 0.22.1 Node client sends them', () => {
    it('decodes a trigger awaiting a result (engine::channels::create)', () => {
      const frame =
        '{"type":"invokefunction","invocation_id":"1b4e28ba-2fa1-4d2e-883f-0016d3cca427","function_id":"engine::channels::create",' +
        '"data":{"buffer_size":64},"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","baggage":""}'
      expect(decoded(decodeFromWorker(frame))).to.deep.equal(JSON.parse(frame))
    })

    it('decodes the worker registration call sent on every connect', () => {
      const frame =
        '{"type":"invokefunction","function_id":"engine::workers::register","data":{"runtime":"node","version":"0.22.1",' +
        '"name":"h:1","os":"linux","pid":1,"isolation":null,"telemetry":{"language":"en-US","framework":"iii-node"}},' +
        '"action":{"type":"void"}}'
      const message = decoded(decodeFromWorker(frame))
      expect(message).to.deep.equal(JSON.parse(frame))
      expect(message).not.to.have.property('invocation_id')
    })

    it('decodes a registerfunction, whose options come before the id', () => {
      const frame = '{"type":"registerfunction","description":"Greets","metadata":{"owner":"demo"},"id":"demo::greet"}'
      expect(decoded(decodeFromWorker(frame))).to.deep.equal(JSON.parse(frame))
    })

    it('decodes a registerfunction of an HTTP-invoked function', () => {
      const frame =
        '{"type":"registerfunction","id":"http::hook","invocation":{"url":"https://example.com/hook","method":"POST","timeout_ms":5000}}'
      expect(decoded(decodeFromWorker(frame))).to.deep.equal(JSON.parse(frame))
    })

    it('decodes a successful invocationresult echoing function_id, traceparent and baggage', () => {
      const frame =
        '{"type":"invocationresult","invocation_id":"1b4e28ba-2fa1-4d2e-883f-0016d3cca427","function_id":"demo::greet",' +
        '"result":{"greeting":"hi"},"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","baggage":""}'
      expect(decoded(decodeFromWorker(frame))).to.deep.equal(JSON.parse(frame))
    })

    it('decodes an invocationresult of a handler that returned undefined (no result field)', () => {
      const frame = '{"type":"invocationresult","invocation_id":"1b4e28ba-2fa1-4d2e-883f-0016d3cca427","function_id":"demo::noop"}'
      expect(decoded(decodeFromWorker(frame))).to.deep.equal(JSON.parse(frame))
    })

    it('decodes a failed invocationresult with the invocation_failed error body', () => {
      const frame =
        '{"type":"invocationresult","invocation_id":"1b4e28ba-2fa1-4d2e-883f-0016d3cca427","function_id":"demo::greet",' +
        '"error":{"code":"invocation_failed","message":"boom","stacktrace":"Error: boom\\n    at handler"}}'
      expect(decoded(decodeFromWorker(frame))).to.deep.equal(JSON.parse(frame))
    })

    it('decodes the reattach sent after a reconnect', () => {
      const frame = '{"type":"reattach","previous_worker_id":"w-7","reattach_token":"0123456789abcdef0123456789abcdef"}'
      expect(decoded(decodeFromWorker(frame))).to.deep.equal(JSON.parse(frame))
    })
  })

  describe('with the engine-to-worker table', () => {
    it('decodes workerregistered', () => {
      const frame = '{"type":"workerregistered","worker_id":"w-1","reattach_token":"t"}'
      expect(decoded(decodeFromEngine(frame))).to.deep.equal(JSON.parse(frame))
    })

    it('decodes registrationrejected with and without a message', () => {
      const bare = { type: 'registrationrejected', code: 'function_already_registered', function_id: 'f', owner_worker_id: 'w-2' }
      expect(decoded(decodeFromEngine(JSON.stringify(bare)))).to.deep.equal(bare)
      const explained = { ...bare, message: 'function f is already registered by another worker' }
      expect(decoded(decodeFromEngine(JSON.stringify(explained)))).to.deep.equal(explained)
    })

    it('decodes protocolerror', () => {
      const frame = '{"type":"protocolerror","code":"invalid_message","message":"invalid JSON"}'
      expect(decoded(decodeFromEngine(frame))).to.deep.equal(JSON.parse(frame))
    })

    it('treats message types of the other direction as unknown', () => {
      expect(failed(decodeFromEngine('{"type":"registerfunction","id":"f"}'))).to.include({ kind: 'unknown_type', type: 'registerfunction' })
      expect(failed(decodeFromWorker('{"type":"workerregistered","worker_id":"w","reattach_token":"t"}'))).to.include({
        kind: 'unknown_type',
        type: 'workerregistered',
      })
    })
  })

  describe('failures', () => {
    it('reports text that is not JSON as invalid_json, without throwing', () => {
      for (const text of ['{', '', 'type: invokefunction', '{"type":"invokefunction",}']) {
        const failure = failed(decodeFromWorker(text))
        expect(failure.kind, text).to.equal('invalid_json')
        expect(failure.reason, text).to.be.a('string').and.not.equal('')
      }
    })

    for (const text of ['[]', '42', '"invokefunction"', 'null', '{"no":"type"}', '{"type":5}', '{"type":null}', '[{"type":"reattach"}]']) {
      it(`reports ${text} as not_a_message`, () => {
        expect(failed(decodeFromWorker(text))).to.deep.equal({
          kind: 'not_a_message',
          reason: 'expected a JSON object with a string "type" field',
        })
      })
    }

    it('reports a type missing from the table as unknown_type, naming the type', () => {
      expect(failed(decodeFromWorker('{"type":"registertrigger"}'))).to.deep.equal({
        kind: 'unknown_type',
        type: 'registertrigger',
        reason: 'unknown message type "registertrigger"',
      })
    })

    // The table is a plain object: inherited property names must not be taken for codecs.
    for (const type of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      it(`reports the type "${type}" as unknown_type instead of crashing`, () => {
        expect(failed(decodeFromWorker(JSON.stringify({ type, id: 'x' })))).to.include({ kind: 'unknown_type', type })
      })
    }

    it('reports the path to a bad field and keeps the invocation_id the sender waits on', () => {
      expect(failed(decodeFromWorker('{"type":"invokefunction","function_id":7,"invocation_id":"abc"}'))).to.deep.equal({
        kind: 'invalid_fields',
        type: 'invokefunction',
        reason: 'invalid invokefunction: function_id: expected string, got 7',
        invocation_id: 'abc',
      })
    })

    it('reports a missing required field as undefined', () => {
      const failure = failed(decodeFromWorker('{"type":"registerfunction"}'))
      expect(failure).to.include({ kind: 'invalid_fields', type: 'registerfunction' })
      expect(failure.reason).to.equal('invalid registerfunction: id: expected string, got undefined')
    })

    it('omits invocation_id when the frame has none, or when it is not a string', () => {
      const withoutId = failed(decodeFromWorker('{"type":"invokefunction","function_id":7}'))
      expect(withoutId.kind).to.equal('invalid_fields')
      expect(withoutId).not.to.have.property('invocation_id')
      const numericId = failed(decodeFromWorker('{"type":"invokefunction","function_id":"f","invocation_id":9}'))
      expect(numericId.kind).to.equal('invalid_fields')
      expect(numericId.reason).to.equal('invalid invokefunction: invocation_id: expected string, got 9')
      expect(numericId).not.to.have.property('invocation_id')
    })

    it('reports a bad field nested inside an error body by its dotted path', () => {
      const failure = failed(decodeFromWorker('{"type":"invocationresult","invocation_id":"i","error":{"code":5,"message":"m"}}'))
      expect(failure).to.include({ kind: 'invalid_fields', invocation_id: 'i' })
      expect(failure.reason).to.equal('invalid invocationresult: error.code: expected string, got 5')
    })

    it('reports an enqueue action without a queue by the path action.queue', () => {
      const failure = failed(decodeFromWorker('{"type":"invokefunction","function_id":"f","action":{"type":"enqueue"}}'))
      expect(failure.reason).to.equal('invalid invokefunction: action.queue: expected string, got undefined')
    })

    it('rejects an action of an unknown type, listing the accepted actions', () => {
      const failure = failed(decodeFromWorker('{"type":"invokefunction","function_id":"f","action":{"type":"later"}}'))
      expect(failure.kind).to.equal('invalid_fields')
      expect(failure.reason).to.equal(
        'invalid invokefunction: action: expected ({ type: "void" } | { type: "enqueue", queue: string }), got {"type":"later"}',
      )
    })
  })
})

describe('decodesToItself', () => {
  it('holds for the forwarded messages, built of records, partials, unions and plain checks', () => {
    expect(decodesToItself(InvokeFunction)).to.equal(true)
    expect(decodesToItself(InvocationResult)).to.equal(true)
  })

  it('does not hold for a codec that may transform: an exact codec strips fields, a refinement is not known to check only', () => {
    expect(decodesToItself(RegisterFunction)).to.equal(false)
    expect(decodesToItself(t.type({ nested: t.exact(t.type({ a: t.string })) }))).to.equal(false)
    expect(decodesToItself(t.type({ n: t.Int }))).to.equal(false)
  })

  it('leaves messages of an exact codec to decode, which drops the fields it does not define', () => {
    const registration = decoded(decodeFromWorker(JSON.stringify({ type: 'registerfunction', id: 'f', injected: 'x' })))
    expect(registration).to.deep.equal({ type: 'registerfunction', id: 'f' })
  })

  it('gives a message that only needed checking back as the parsed value, unknown fields kept', () => {
    roundTrips({ type: 'invocationresult', invocation_id: 'i', result: { n: 1 }, extra: [1, 2] })
  })
})

describe('describeErrors', () => {
  const everyFieldWrong = {
    type: 'invocationresult',
    invocation_id: 1,
    error: { code: 2, message: 3, stacktrace: 4 },
  }

  it('names nested fields by their dotted path, never by intersection member indices', () => {
    const text = describeErrors(errorsOf(InvocationResult, everyFieldWrong), 10)
    expect(text).to.equal(
      'invocation_id: expected string, got 1; error.code: expected string, got 2; ' +
        'error.message: expected string, got 3; error.stacktrace: expected string, got 4',
    )
    expect(text).not.to.match(/(^|[ .])[0-9]+\./)
  })

  it('shows at most three errors by default and counts the rest', () => {
    expect(describeErrors(errorsOf(InvocationResult, everyFieldWrong))).to.equal(
      'invocation_id: expected string, got 1; error.code: expected string, got 2; error.message: expected string, got 3 (+1 more)',
    )
  })

  it('honours a smaller limit', () => {
    expect(describeErrors(errorsOf(InvocationResult, everyFieldWrong), 1)).to.equal('invocation_id: expected string, got 1 (+3 more)')
  })

  it('names a value rejected as a whole (root)', () => {
    expect(describeErrors(errorsOf(InvokeFunction, 'not an object'))).to.match(/^\(root\): expected .+, got "not an object"$/)
  })

  it('shortens long values to 60 characters', () => {
    const long = 'x'.repeat(200)
    const text = describeErrors(errorsOf(InvokeFunction, { type: 'invokefunction', function_id: 'f', traceparent: { long } }))
    const shown = text.slice(text.indexOf('got ') + 'got '.length)
    expect(text.startsWith('traceparent: expected string, got {"long":"xxx')).to.equal(true)
    expect(shown).to.have.length(60)
    expect(shown.endsWith('...')).to.equal(true)
  })
})

describe('failureReason', () => {
  it('prefixes JSON syntax errors with "invalid JSON"', () => {
    const failure = failed(decodeFromWorker('{'))
    expect(failureReason(failure)).to.equal(`invalid JSON: ${failure.reason}`)
  })

  it('returns the reason of every other failure unchanged', () => {
    const failures: DecodeFailure[] = [
      { kind: 'not_a_message', reason: 'r1' },
      { kind: 'unknown_type', type: 't', reason: 'r2' },
      { kind: 'invalid_fields', type: 't', reason: 'r3', invocation_id: 'i' },
    ]
    expect(failures.map(failureReason)).to.deep.equal(['r1', 'r2', 'r3'])
  })
})
