import { expect } from 'chai'
import { InvocationError, registerWorker, WorkerError } from '../../lib'
import { channelUrl } from '../../lib/protocol/channel-url'
import { openRaw, rawWorker, recordingLogger, refusal, sendJson, useEngine } from '../support/engine'
import { useWorkers } from '../support/workers'

const TOKEN = 'tok_3f9a1c2e8b7d4f60a5c1e9d2b8f7a6c3'
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe('worker authentication (engine started with a token)', () => {
  const context = useEngine({ token: TOKEN })
  const worker = useWorkers()

  it('refuses a worker socket without a token, or with a wrong one, with HTTP 401 and the reason', async () => {
    expect(await refusal(context.url)).to.deep.equal({
      status: 401,
      body: 'missing token: send "Authorization: Bearer <token>" or ?token=<token>',
    })
    expect(await refusal(context.url, bearer('wrong'))).to.deep.equal({ status: 401, body: 'invalid token' })
    expect(await refusal(`${context.url}/?token=wrong`)).to.deep.equal({ status: 401, body: 'invalid token' })
    expect(await refusal(context.url, { headers: { authorization: TOKEN } }), 'not a Bearer header').to.include({ status: 401 })
    expect(context.engine.stats().workers).to.equal(0)
  })

  it('accepts the token as "Authorization: Bearer" or as ?token=', async () => {
    for (const raw of [await rawWorker(context.url, bearer(TOKEN)), await rawWorker(`${context.url}/?token=${TOKEN}`)]) {
      expect(await raw.next('workerregistered')).to.have.property('worker_id')
      raw.ws.close()
    }
  })

  it('lets an SDK worker with the token option call and stream; its channel sockets need only their keys', async () => {
    const callee = await worker(context.url, { token: TOKEN })
    callee.registerFunction('upper', async ({ text }: { text: string }) => text.toUpperCase())
    await callee.ready()
    const caller = await worker(context.url, { token: TOKEN })
    expect(await caller.trigger({ function_id: 'upper', payload: { text: 'authorized' } })).to.equal('AUTHORIZED')
    const { writer, reader } = await caller.createChannel()
    writer.stream.end(Buffer.from('through the channel'))
    expect((await reader.readAll()).toString()).to.equal('through the channel')
    // A channel socket as the official client opens it: the URL from the ref, no token.
    const other = await caller.createChannel()
    const rawWriter = await openRaw(channelUrl(context.url, other.writerRef))
    rawWriter.ws.close(1000)
    expect((await other.reader.readAll()).length).to.equal(0)
  })

  it('lets an SDK worker whose URL carries ?token= connect, and builds its channel URLs without it', async () => {
    const client = await worker(`${context.url}/?token=${TOKEN}`)
    const { writer, reader, readerRef } = await client.createChannel()
    expect(channelUrl(`${context.url}/?token=${TOKEN}`, readerRef)).not.to.contain(TOKEN)
    writer.stream.end(Buffer.from('ok'))
    expect((await reader.readAll()).toString()).to.equal('ok')
  })

  it('fails an SDK worker with a wrong token for good: ready() and trigger() reject with unauthorized', async () => {
    const logger = recordingLogger()
    const client = registerWorker(context.url, { token: 'wrong', logger, reconnect: { initialDelayMs: 10, maxDelayMs: 10 } })
    try {
      const pending = client.trigger({ function_id: 'anything' }).catch((error: InvocationError) => error)
      const error = await client.ready().then(
        () => undefined,
        (failure: WorkerError) => failure,
      )
      expect(error).to.be.instanceOf(WorkerError)
      expect(error).to.include({ code: 'unauthorized' })
      expect(error?.message).to.contain('HTTP 401')
      expect(await pending).to.be.instanceOf(InvocationError).and.include({ code: 'unauthorized' })
      const later = await client.trigger({ function_id: 'anything' }).catch((failure: InvocationError) => failure)
      expect(later).to.include({ code: 'unauthorized' })
      expect(logger.lines.filter((line) => line.includes('HTTP 401'))).to.have.length(1)
    } finally {
      await client.shutdown()
    }
  })
})

describe('secrets in logs', () => {
  const engineLog = recordingLogger()
  const context = useEngine({ token: TOKEN, logger: engineLog })
  const worker = useWorkers()

  it('never logs an access key, a worker token, a reattach token or a payload, at any level, in a message or a field, whatever clients send', async () => {
    const workerLog = recordingLogger()
    const client = await worker(context.url, { token: TOKEN, logger: workerLog, workerName: 'sensor-1' })
    const secrets: string[] = [TOKEN, 'wrong-token-9c1f3a7e5d2b', 'payload-secret-5c2e8a1f', 'result-secret-7d3b9e0a']
    // Invocations are logged at debug (function, workers, outcome, duration): never what they carry.
    client.registerFunction('sensor.read', () => ({ reading: 'result-secret-7d3b9e0a' }))
    await client.ready()
    const channel = await client.createChannel()
    secrets.push(channel.writerRef.access_key, channel.readerRef.access_key)
    channel.writer.stream.end(Buffer.from('data'))
    await channel.reader.readAll()

    const open = await client.createChannel()
    secrets.push(open.writerRef.access_key, open.readerRef.access_key)
    await client.trigger({ function_id: 'sensor.read', payload: { probe: 'payload-secret-5c2e8a1f', ref: open.readerRef } })
    const base = `${context.url}/ws/channels/${open.readerRef.channel_id}`
    // A key for the other end, a key for an unknown channel, a key with a bad dir: refused, and logged by nobody.
    await refusal(`${base}?key=${open.writerRef.access_key}&dir=read`)
    await refusal(`${context.url}/ws/channels/no-such?key=${open.readerRef.access_key}&dir=read`)
    await refusal(`${base}?key=${open.readerRef.access_key}&dir=sideways`)
    await refusal(context.url, bearer('wrong-token-9c1f3a7e5d2b'))
    await refusal(`${context.url}/?token=wrong-token-9c1f3a7e5d2b`)
    // The token in the query, as browsers send it: accepted, or refused, by the engine and by our SDK's worker, logged by nobody.
    const inQuery = await worker(`${context.url}/?token=${TOKEN}`, { logger: workerLog, workerName: 'browser-like' })
    await inQuery.ready()
    const wrongInQuery = registerWorker(`${context.url}/?token=wrong-token-9c1f3a7e5d2b`, { logger: workerLog, reconnect: { initialDelayMs: 10, maxDelayMs: 10 } })
    const refused = await wrongInQuery.ready().then(
      () => undefined,
      (failure: WorkerError) => failure,
    )
    await wrongInQuery.shutdown()
    expect(refused?.message).to.contain('?token=***').and.contain('HTTP 401')

    const raw = await rawWorker(context.url, bearer(TOKEN))
    const hello = await raw.next('workerregistered')
    secrets.push(hello.reattach_token as string)
    const ref = { channel_id: open.readerRef.channel_id, access_key: open.readerRef.access_key, direction: 'read' }
    // Malformed frames that carry secrets where the engine explains what is wrong with them.
    // V8 quotes the start of short invalid JSON in its message: here the key itself.
    raw.ws.send(`[${open.readerRef.access_key}]`)
    raw.ws.send(`{"access_key":"${open.readerRef.access_key}" oops`)
    sendJson(raw.ws, { type: 'invokefunction', function_id: 'f', invocation_id: 'i', action: { access_key: ref.access_key, type: 'later' } })
    sendJson(raw.ws, { type: 'registerfunction', id: ref })
    sendJson(raw.ws, { type: 'reattach', previous_worker_id: 'nobody', reattach_token: hello.reattach_token })
    sendJson(raw.ws, { type: 'reattach', previous_worker_id: client.workerId, reattach_token: hello.reattach_token })
    sendJson(raw.ws, { type: 'invokefunction', invocation_id: 'sync', function_id: 'engine::functions::list', data: {} })
    await raw.next('invocationresult')
    open.writer.close()
    await open.reader.readAll()
    // Its shutdown line too, with what was still open.
    await context.engine.close()

    // Each line with its structured fields, as a JSON logger would write it.
    const lines = [...engineLog.entries, ...workerLog.entries].map(({ level, message, fields }) => `${level}: ${message} ${JSON.stringify(fields)}`)
    expect(lines.some((line) => line.startsWith('debug:')), 'the engine logged at debug level').to.equal(true)
    expect(lines.some((line) => line.includes('invalid JSON'))).to.equal(true)
    for (const kind of ['invocation of sensor.read', 'channel', 'worker sensor-1', 'engine shut down']) {
      expect(lines.some((line) => line.includes(kind)), `a line about ${kind}`).to.equal(true)
    }
    for (const secret of secrets) {
      const leaks = lines.filter((line) => line.includes(secret) || line.includes(secret.slice(0, 8)))
      expect(leaks, `lines holding ${secret.slice(0, 4)}…`).to.deep.equal([])
    }
  })
})
