import { expect } from 'chai'
import { startEngine, type Logger } from '../../lib'
import { channelUrl } from '../../lib/protocol/channel-url'
import { createRawChannel, nextEvent, openRaw, rawWorker, recordingLogger, sendJson, useEngine, type LoggedLine } from '../support/engine'
import { useWorkers } from '../support/workers'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The one line whose message matches `pattern`; fails listing every line if there is not exactly one. */
function theLine(lines: readonly LoggedLine[], pattern: RegExp): LoggedLine {
  const found = lines.filter((line) => pattern.test(line.message))
  expect(found, `lines matching ${pattern} in:\n${lines.map((line) => `${line.level}: ${line.message}`).join('\n')}`).to.have.length(1)
  return found[0]
}

describe('engine log lines', () => {
  const logger = recordingLogger()
  const context = useEngine({ logger, heartbeatMs: 100, channelTtlMs: 200 })
  const worker = useWorkers()
  beforeEach(() => {
    logger.entries.length = 0
    logger.lines.length = 0
  })

  it('names a worker by its short id once connected, and by the name it gave beside it from then on', async () => {
    const raw = await rawWorker(context.url)
    const id = (await raw.next('workerregistered')).worker_id as string
    const short = id.slice(0, 8)
    const connected = theLine(logger.entries, /connected from/)
    expect(connected).to.deep.include({ level: 'info' })
    expect(connected.message).to.match(new RegExp(`^worker ${short} connected from 127\\.0\\.0\\.1:\\d+$`))
    expect(connected.fields).to.include({ worker_id: id })

    sendJson(raw.ws, { type: 'invokefunction', invocation_id: 'hello', function_id: 'engine::workers::register', data: { name: 'sensor-1', pid: 1 } })
    await raw.next('invocationresult')
    raw.ws.send('not json')
    await raw.next('protocolerror')
    const rejected = theLine(logger.entries, /rejected frame/)
    expect(rejected.message).to.match(new RegExp(`^worker sensor-1 \\(${short}\\): rejected frame: `))
    expect(rejected.fields).to.include({ worker_id: id, worker_name: 'sensor-1' })
  })

  it('takes the name the official iii-sdk client sends, among its other metadata', async () => {
    const raw = await rawWorker(context.url)
    const id = (await raw.next('workerregistered')).worker_id as string
    // What iii-sdk 0.22 sends on connect (fire-and-forget), its telemetry key included.
    const metadata = { runtime: 'node', version: '0.22.1', name: 'host:4242', os: 'linux', pid: 4242, telemetry: { amplitude_api_key: 'amp-key-5e1d' } }
    sendJson(raw.ws, { type: 'invokefunction', function_id: 'engine::workers::register', data: metadata, action: { type: 'void' } })
    const gone = nextEvent(context.engine, 'worker_disconnected')
    raw.ws.close(1000)
    await gone
    expect(theLine(logger.entries, /disconnected/).message).to.match(new RegExp(`^worker host:4242 \\(${id.slice(0, 8)}\\) disconnected after `))
    expect(logger.lines.filter((line) => line.includes('amp-key-5e1d'))).to.deep.equal([])
  })

  it('says in one info line per worker how long it was connected and why it left: clean close, close code and reason, lost connection, heartbeat', async () => {
    const leave = async (how: (ws: import('ws').WebSocket) => void, options?: import('ws').ClientOptions) => {
      const raw = await rawWorker(context.url, options)
      const id = (await raw.next('workerregistered')).worker_id as string
      const gone = nextEvent(context.engine, 'worker_disconnected', (event) => event.worker_id === id)
      how(raw.ws)
      await gone
      const line = theLine(logger.entries, new RegExp(`^worker ${id.slice(0, 8)} disconnected after \\d`))
      expect(line.level).to.equal('info')
      expect(line.fields).to.include({ worker_id: id })
      expect(line.fields.duration_ms).to.be.a('number')
      return line
    }
    const clean = await leave((ws) => ws.close(1000))
    expect(clean.message).to.match(/: closed cleanly$/)
    expect(clean.fields).to.include({ outcome: 'clean' })

    const coded = await leave((ws) => ws.close(4000, 'moving on'))
    expect(coded.message).to.match(/: closed with 4000: moving on$/)
    expect(coded.fields).to.include({ outcome: 'closed', code: 4000, reason: 'moving on' })

    const lost = await leave((ws) => ws.terminate())
    expect(lost.message).to.match(/: connection lost \(1006\)$/)
    expect(lost.fields).to.include({ outcome: 'lost', code: 1006 })

    // A worker that does not answer pings (heartbeatMs: 100 here) is dropped by the engine.
    const silent = await leave(() => undefined, { autoPong: false })
    expect(silent.message).to.match(/: dropped by the engine: no pong within 100 ms \(heartbeatMs\)$/)
    expect(silent.fields).to.include({ outcome: 'dropped', reason: 'no pong within 100 ms (heartbeatMs)' })
  })

  it('logs each channel at debug when it opens and when it ends: how, after how long, bytes and frames each way', async () => {
    const pair = await createRawChannel(context.url)
    const channelId = pair.writer.channel_id
    const opened = theLine(logger.entries, /^channel \S+ opened/)
    expect(opened).to.deep.include({ level: 'debug' })
    expect(opened.message).to.match(new RegExp(`^channel ${channelId.slice(0, 8)} opened by worker [0-9a-f]{8}, buffer 64 frames$`))
    expect(opened.fields).to.include({ channel_id: channelId, buffer_size: 64 })
    expect(opened.fields.worker_id).to.match(UUID)

    const reader = await openRaw(channelUrl(context.url, pair.reader))
    const writer = await openRaw(channelUrl(context.url, pair.writer))
    const finished = nextEvent(context.engine, 'channel_finished', (event) => event.channel_id === channelId)
    for (const text of ['one', 'three', 'fifteen']) writer.ws.send(Buffer.from(text))
    writer.ws.close(1000)
    await reader.closed
    await finished
    const ended = theLine(logger.entries, /^channel \S+ ended/)
    expect(ended.level).to.equal('debug')
    expect(ended.message).to.match(
      new RegExp(`^channel ${channelId.slice(0, 8)} ended \\(clean\\) after \\d+(\\.\\d)? m?s: 15 bytes in 3 frames from the writer, 15 bytes in 3 frames to the reader$`),
    )
    expect(ended.fields).to.include({ channel_id: channelId, outcome: 'clean', bytes_in: 15, frames_in: 3, bytes_out: 15, frames_out: 3 })
    expect(ended.fields.duration_ms).to.be.a('number')
  })

  it('tells how a channel ended otherwise: aborted, expired, reader gone, dropped', async () => {
    const end = async (drive: (writer: import('ws').WebSocket | undefined, reader: import('ws').WebSocket | undefined) => void, connect: { writer: boolean; reader: boolean }) => {
      const pair = await createRawChannel(context.url)
      const finished = nextEvent(context.engine, 'channel_finished', (event) => event.channel_id === pair.writer.channel_id)
      const reader = connect.reader ? await openRaw(channelUrl(context.url, pair.reader)) : undefined
      const writer = connect.writer ? await openRaw(channelUrl(context.url, pair.writer)) : undefined
      writer?.ws.send(Buffer.from('data'))
      drive(writer?.ws, reader?.ws)
      await finished
      return theLine(logger.entries, new RegExp(`^channel ${pair.writer.channel_id.slice(0, 8)} ended`)).fields
    }
    expect(await end((writer) => writer?.close(4000, 'gave up'), { writer: true, reader: true })).to.include({ outcome: 'aborted', code: 1011, reason: 'writer aborted: gave up' })
    expect(await end(() => undefined, { writer: true, reader: false })).to.include({ outcome: 'expired', code: 4408 })
    expect(await end((_writer, reader) => reader?.close(1000), { writer: true, reader: true })).to.include({ outcome: 'reader gone', code: 4410 })
    expect(await end((writer) => writer?.terminate(), { writer: true, reader: true })).to.include({ outcome: 'dropped', reason: 'writer disconnected mid-stream' })
  })

  it('logs each invocation at debug: function, caller, callee, outcome and duration, never its payload or result', async () => {
    const callee = await worker(context.url, { workerName: 'sensor-1' })
    callee.registerFunction('sensor.read', ({ probe }: { probe: string }) => {
      if (probe === 'fail') throw new Error('probe failed')
      return { reading: 'result-secret-77c1' }
    })
    await callee.ready()
    const caller = await worker(context.url, { workerName: 'dashboard' })
    await caller.trigger({ function_id: 'sensor.read', payload: { probe: 'payload-secret-3a9d' } })
    await caller.trigger({ function_id: 'sensor.read', payload: { probe: 'fail' } }).catch(() => undefined)

    const lines = logger.entries.filter((line) => line.message.startsWith('invocation of sensor.read '))
    expect(lines.map((line) => line.message.replace(/\([0-9a-f]{8}\)/g, '(ID)').replace(/ in [\d.]+ m?s$/, ' in T'))).to.deep.equal([
      'invocation of sensor.read from worker dashboard (ID) to worker sensor-1 (ID): ok in T',
      'invocation of sensor.read from worker dashboard (ID) to worker sensor-1 (ID): error invocation_failed in T',
    ])
    expect(lines[0].level).to.equal('debug')
    expect(lines[0].fields).to.include({ function_id: 'sensor.read', caller_id: caller.workerId, caller_name: 'dashboard', callee_name: 'sensor-1', outcome: 'ok' })
    expect(lines[0].fields.duration_ms).to.be.a('number')
    const everything = JSON.stringify(logger.entries)
    expect(everything).not.to.contain('payload-secret-3a9d').and.not.to.contain('result-secret-77c1')
  })

  it('logs one info line at shutdown: what was still open, and how long it took', async () => {
    const shutdownLog = recordingLogger()
    const engine = await startEngine({ port: 0, logger: shutdownLog })
    try {
      const raw = await rawWorker(engine.url)
      await raw.next('workerregistered')
      await createRawChannel(engine.url)
    } finally {
      await engine.close()
    }
    const line = theLine(shutdownLog.entries, /^engine shut down/)
    expect(line.level).to.equal('info')
    expect(line.message).to.match(/^engine shut down in [\d.]+ m?s; open when it began: 2 workers, 1 channel, 0 pending invocations, 2 sockets, 2 connections$/)
    expect(line.fields).to.include({ workers: 2, channels: 1, pending_invocations: 0 })
    expect(line.fields.duration_ms).to.be.a('number')
  })

  it('builds no debug line for a logger that says it does not write them', async () => {
    let debugCalls = 0
    const count = () => undefined
    const infoOnly: Logger = { level: 'info', debug: () => void debugCalls++, info: count, warn: count, error: count }
    const engine = await startEngine({ port: 0, logger: infoOnly })
    try {
      const client = await worker(engine.url, { workerName: 'quiet' })
      client.registerFunction('echo', (input: unknown) => input)
      await client.ready()
      await client.trigger({ function_id: 'echo', payload: { n: 1 } })
      const { writer, reader } = await client.createChannel()
      writer.stream.end(Buffer.from('bytes'))
      await reader.readAll()
    } finally {
      await engine.close()
    }
    expect(debugCalls).to.equal(0)
  })
})
