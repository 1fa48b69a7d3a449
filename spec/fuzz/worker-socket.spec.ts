import { expect } from 'chai'
import fc from 'fast-check'
import net from 'net'
import WebSocket from 'ws'
import { rawWorker, recordingLogger, statsReach, useEngine } from '../support/engine'
import { healthyTraffic } from '../support/healthy-traffic'
import { useWorkers } from '../support/workers'

// Seeded, so a failure replays exactly: FUZZ_SEED=<seed> npm test. fast-check shrinks a failing batch.
const SEED = Number(process.env.FUZZ_SEED ?? 20_250_605)
const KNOWN_TYPES = ['registerfunction', 'unregisterfunction', 'invokefunction', 'invocationresult', 'reattach']

/** What the engine must do with a frame: answer it with a protocolerror, log and ignore it, or answer the invocation. */
interface Expected {
  readonly rejected: number
  readonly ignored: number
  readonly answered: number
}

interface FuzzFrame {
  readonly label: string
  readonly data: string | Uint8Array
  readonly binary: boolean
  readonly expected: Expected
}

const REJECTED: Expected = { rejected: 1, ignored: 0, answered: 0 }
const IGNORED: Expected = { rejected: 0, ignored: 1, answered: 0 }
const ANSWERED: Expected = { rejected: 0, ignored: 0, answered: 1 }

const text = (label: string, data: string, expected: Expected): FuzzFrame => described({ label, data, binary: false, expected })

/** Frames print as their label, size and start in a counterexample: some are megabytes long. */
function described(frame: FuzzFrame): FuzzFrame {
  const shown = typeof frame.data === 'string' ? JSON.stringify(frame.data.slice(0, 80)) : `bytes ${Buffer.from(frame.data.slice(0, 40)).toString('hex')}`
  return Object.assign(frame, { [fc.toStringMethod]: () => `${frame.label} (${frame.data.length} long): ${shown}` })
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

function parse(data: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(data) }
  } catch {
    return { ok: false }
  }
}

/** The oracle for text that is not built to be a message: what a strict decoder must make of it. */
function expectedForText(data: string): Expected | undefined {
  const parsed = parse(data)
  if (!parsed.ok || !isObject(parsed.value) || typeof parsed.value.type !== 'string') return REJECTED
  // A known type from random text would need the codecs to judge: such draws are discarded.
  return KNOWN_TYPES.includes(parsed.value.type) ? undefined : IGNORED
}

const randomText = fc
  .string({ unit: 'binary', maxLength: 200 })
  .map((data) => ({ data, expected: expectedForText(data) }))
  .filter((draw): draw is { data: string; expected: Expected } => draw.expected !== undefined)
  .map(({ data, expected }) => text('random text', data, expected))

const notAMessage = fc
  .jsonValue({ maxDepth: 4 })
  .filter((value) => !(isObject(value) && typeof value.type === 'string'))
  .map((value) => text('JSON that is not a message', JSON.stringify(value), REJECTED))

const extraFields = fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })

const unknownType = fc
  .tuple(fc.string({ maxLength: 40 }).filter((type) => !KNOWN_TYPES.includes(type)), extraFields)
  .map(([type, extra]) => text('unknown type', JSON.stringify({ ...extra, type }), IGNORED))

/** Each known type with valid values for its required fields; one of them is then broken. */
const VALID_BASES: Record<string, Record<string, unknown>> = {
  registerfunction: { id: 'fuzz.fn' },
  unregisterfunction: { id: 'fuzz.fn' },
  invokefunction: { function_id: 'fuzz.none' },
  invocationresult: { invocation_id: 'fuzz-result' },
  reattach: { previous_worker_id: 'fuzz-worker', reattach_token: 'fuzz-token' },
}
const BREAKABLE: Array<[string, string]> = [
  ['registerfunction', 'id'],
  ['unregisterfunction', 'id'],
  ['invokefunction', 'function_id'],
  ['invokefunction', 'invocation_id'],
  ['invokefunction', 'action'],
  ['invocationresult', 'invocation_id'],
  ['invocationresult', 'error'],
  ['reattach', 'previous_worker_id'],
  ['reattach', 'reattach_token'],
]
const isTriggerAction = (value: unknown) =>
  isObject(value) && (value.type === 'void' || (value.type === 'enqueue' && typeof value.queue === 'string'))
const isErrorBody = (value: unknown) => isObject(value) && typeof value.code === 'string' && typeof value.message === 'string'

const wrongFields = fc
  .tuple(fc.constantFrom(...BREAKABLE), fc.jsonValue({ maxDepth: 3 }), fc.option(fc.uuid()), extraFields)
  .filter(([[, field], wrong]) =>
    field === 'action' ? !isTriggerAction(wrong) : field === 'error' ? !isErrorBody(wrong) : typeof wrong !== 'string',
  )
  .map(([[type, field], wrong, invocationId, extra]) => {
    const message: Record<string, unknown> = { ...extra, ...VALID_BASES[type], type }
    if (type === 'invokefunction' && invocationId !== null) message.invocation_id = invocationId
    message[field] = wrong
    // A bad invokefunction that still names its invocation is answered too, so its caller does not wait.
    const answersCaller = type === 'invokefunction' && typeof message.invocation_id === 'string'
    return text(`wrong ${type}.${field}`, JSON.stringify(message), answersCaller ? { ...REJECTED, answered: 1 } : REJECTED)
  })

const binary = fc.uint8Array({ maxLength: 512 }).map((data) => described({ label: 'binary frame', data, binary: true, expected: REJECTED }))

const huge = fc.tuple(fc.integer({ min: 64 * 1024, max: 1024 * 1024 }), fc.constantFrom('type', 'json', 'field', 'function_id')).map(([size, where]) => {
  const filler = 'x'.repeat(size)
  switch (where) {
    case 'type':
      return text('huge unknown type', JSON.stringify({ type: filler }), IGNORED)
    case 'json':
      return text('huge unterminated JSON', `{"type":"${filler}`, REJECTED)
    case 'field':
      return text('huge string beside a wrong field', JSON.stringify({ type: 'registerfunction', id: 7, pad: filler }), REJECTED)
    default:
      return text('huge function id', JSON.stringify({ type: 'invokefunction', invocation_id: 'huge', function_id: filler }), ANSWERED)
  }
})

const deep = fc.tuple(fc.integer({ min: 500, max: 50_000 }), fc.boolean(), fc.constantFrom('alone', 'field', 'unknown', 'data')).map(([depth, arrays, where]) => {
  const nested = arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
  switch (where) {
    case 'alone':
      return text('deep nesting alone', nested, REJECTED)
    case 'field':
      return text('deep nesting in a wrong field', `{"type":"registerfunction","id":${nested}}`, REJECTED)
    case 'unknown':
      return text('deep nesting in an unknown type', `{"type":"fuzz.deep","x":${nested}}`, IGNORED)
    default:
      return text('deep nesting in invocation data', `{"type":"invokefunction","invocation_id":"deep","function_id":"fuzz.none","data":${nested}}`, ANSWERED)
  }
})

const fuzzFrame: fc.Arbitrary<FuzzFrame> = fc.oneof(
  { arbitrary: randomText, weight: 25 },
  { arbitrary: notAMessage, weight: 15 },
  { arbitrary: unknownType, weight: 15 },
  { arbitrary: wrongFields, weight: 30 },
  { arbitrary: binary, weight: 10 },
  { arbitrary: huge, weight: 1 },
  { arbitrary: deep, weight: 4 },
)

/** A raw worker socket that counts what the engine answers, with a round trip to know it has caught up. */
async function fuzzSocket(url: string) {
  const ws = new WebSocket(url)
  const answers = { protocolErrors: [] as string[], results: 0 }
  let workerId = ''
  let synced: ((value: void) => void) | undefined
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>
    expect(isBinary).to.equal(false)
    if (message.type === 'workerregistered') workerId = message.worker_id as string
    else if (message.type === 'protocolerror') answers.protocolErrors.push(message.message as string)
    else if (message.type === 'invocationresult' && message.invocation_id === 'sync') synced?.()
    else if (message.type === 'invocationresult') answers.results++
  })
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  return {
    ws,
    answers,
    get workerId() {
      return workerId
    },
    /** Resolves once the engine has handled every frame sent before (frames on one socket are handled in order). */
    sync: () =>
      new Promise<void>((resolve) => {
        synced = resolve
        ws.send(JSON.stringify({ type: 'invokefunction', invocation_id: 'sync', function_id: 'engine::functions::list', data: {} }))
      }),
  }
}

/** One WebSocket frame as a client would write it, with every field under the generator's control. */
const rawFrame = fc
  .record({
    fin: fc.boolean(),
    rsv: fc.integer({ min: 0, max: 7 }),
    opcode: fc.integer({ min: 0, max: 15 }),
    masked: fc.boolean(),
    payload: fc.uint8Array({ maxLength: 300 }),
    declared: fc.option(fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.constant(2 ** 40))),
  })
  .map(({ fin, rsv, opcode, masked, payload, declared }) => {
    const length = declared ?? payload.length
    const header =
      length < 126
        ? Buffer.from([0, length])
        : length < 65_536
          ? Buffer.from([0, 126, length >> 8, length & 0xff])
          : Buffer.concat([Buffer.from([0, 127]), (() => {
              const size = Buffer.alloc(8)
              size.writeBigUInt64BE(BigInt(length))
              return size
            })()])
    header[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode
    if (masked) header[1] |= 0x80
    const key = Buffer.from([1, 2, 3, 4])
    const body = Buffer.from(payload).map((byte, index) => (masked ? byte ^ key[index % 4] : byte))
    return Buffer.concat([header, masked ? key : Buffer.alloc(0), body])
  })

const UPGRADE = (port: number) =>
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'

/** Writes `bytes` on a plain TCP connection, ends it, and resolves when the engine has closed it too. */
function hostileConnection(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes))
    socket.on('error', () => undefined)
    socket.resume()
    socket.once('close', () => resolve())
  })
}

describe(`fuzz: malformed frames on worker sockets (seed ${SEED})`, function () {
  this.timeout(60_000)
  const logger = recordingLogger()
  const context = useEngine({ logger })
  const worker = useWorkers()

  it('answers or drops every malformed frame with a reason (logged once per kind per window), never crashes, and keeps serving a healthy worker throughout', async () => {
    const healthy = healthyTraffic(await worker(context.url), await worker(context.url))
    try {
      await fuzzWhileServing(healthy.state)
    } finally {
      await healthy.stop()
    }
    expect(logger.lines.filter((line) => line.startsWith('error:')), 'internal errors').to.deep.equal([])
    const stats = await statsReach(context.engine, (current) => current.workers === 2 && current.channels === 0 && current.sockets === 2)
    expect(stats).to.include({ pendingInvocations: 0, heldFrames: 0, functions: 2 })
  })

  async function fuzzWhileServing(healthy: { readonly rounds: number }): Promise<void> {
    const fuzz = await fuzzSocket(context.url)
    const totals = { frames: 0, rejected: 0, ignored: 0, answered: 0, loggedRejections: 0, loggedIgnores: 0 }
    const roundsSeen: number[] = []

    await fc.assert(
      fc.asyncProperty(fc.array(fuzzFrame, { minLength: 1, maxLength: 60, size: 'large' }), async (batch) => {
        const logStart = logger.lines.length
        const answered = { errors: fuzz.answers.protocolErrors.length, results: fuzz.answers.results }
        for (const frame of batch) fuzz.ws.send(frame.data, { binary: frame.binary })
        await fuzz.sync()
        const expected = batch.reduce(
          (sum, frame) => ({
            rejected: sum.rejected + frame.expected.rejected,
            ignored: sum.ignored + frame.expected.ignored,
            answered: sum.answered + frame.expected.answered,
          }),
          { rejected: 0, ignored: 0, answered: 0 },
        )
        // Log lines name a worker by the first 8 digits of its id (it gives no name here).
        const label = fuzz.workerId.slice(0, 8)
        const lines = logger.lines.slice(logStart).filter((line) => line.includes(`worker ${label}`))
        const errors = fuzz.answers.protocolErrors.slice(answered.errors)
        expect(errors, 'protocolerror answers').to.have.length(expected.rejected)
        // Every rejection is answered; the log takes each kind at most once per window (no flood).
        const rejections = lines.filter((line) => line.startsWith(`warn: worker ${label}: rejected frame: `)).length
        const ignores = lines.filter((line) => line.startsWith(`warn: worker ${label}: ignored unknown message type `)).length
        expect(rejections, 'logged rejections').to.be.at.most(Math.min(1, expected.rejected))
        expect(ignores, 'logged ignores').to.be.at.most(Math.min(1, expected.ignored))
        totals.loggedRejections += rejections
        totals.loggedIgnores += ignores
        expect(fuzz.answers.results - answered.results, 'invocation answers').to.equal(expected.answered)
        // Reasons name the problem but stay short, whatever the size of the frame.
        for (const reason of errors) expect(reason.length).to.be.within(1, 400)
        for (const line of lines) expect(line.length).to.be.below(500)
        totals.frames += batch.length
        totals.rejected += expected.rejected
        totals.ignored += expected.ignored
        totals.answered += expected.answered
        roundsSeen.push(healthy.rounds)
      }),
      { seed: SEED, numRuns: 250 },
    )

    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(rawFrame, { minLength: 1, maxLength: 5 }).map((frames) => Buffer.concat([Buffer.from(UPGRADE(context.engine.port)), ...frames])),
          fc.uint8Array({ minLength: 1, maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
        ),
        async (bytes) => {
          await hostileConnection(context.engine.port, bytes)
        },
      ),
      { seed: SEED, numRuns: 200 },
    )

    fuzz.ws.close()
    expect(totals.frames).to.be.above(2000)
    expect(totals.rejected).to.be.above(1000)
    expect(totals.ignored).to.be.above(200)
    expect(totals.loggedRejections, 'a rejection logged at least once').to.be.at.least(1)
    expect(totals.loggedIgnores, 'an ignored type logged at least once').to.be.at.least(1)
    expect(roundsSeen[roundsSeen.length - 1] - roundsSeen[0], 'healthy rounds while fuzzing').to.be.above(10)
  }

  it('refuses worker metadata too deep to serialize, and keeps answering engine::workers::list', async () => {
    const hostile = await rawWorker(context.url)
    const depth = 20_000
    const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`
    hostile.ws.send(`{"type":"invokefunction","function_id":"engine::workers::register","invocation_id":"deep","data":${deep}}`)
    const refused = await hostile.next('invocationresult')
    expect(refused.error).to.include({ code: 'registration_too_large' })
    expect((refused.error as Error).message).to.contain('cannot be serialized')
    const client = await worker(context.url)
    const { workers } = await client.trigger<{ workers: Array<{ metadata: unknown }> }>({ function_id: 'engine::workers::list', payload: {} })
    expect(workers.map((entry) => entry.metadata)).to.deep.include(null)
  })
})
