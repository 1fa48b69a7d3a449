import { expect } from 'chai'
import { ENGINE_NODE_FLAGS } from '../../lib/cli/heap-floor'
import { spawnTs, type TsProcess } from '../../demos/support/processes'
import { useWorkers } from '../support/workers'

const TOKEN = 'tok_6b1e0c9a4f2d8e7c3a5b1f0e9d8c7b6a'
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const SHORT_ID = '[0-9a-f]{8}'

interface JsonLine {
  readonly time: string
  readonly level: string
  readonly name: string
  readonly msg: string
  readonly [field: string]: unknown
}

/** The engine CLI in its own process (given its heap floor, it does not relaunch itself), with the token in its environment. */
function engineProcess(...args: string[]): TsProcess {
  return spawnTs('lib/cli/main.ts', ['engine', '--port', '0', '--log-level', 'debug', ...args], {
    nodeFlags: ENGINE_NODE_FLAGS,
    env: { ...process.env, RX_CHANNELS_TOKEN: TOKEN },
  })
}

describe('engine logs, from the CLI as a process', function () {
  this.timeout(30_000)
  const worker = useWorkers()
  let engine: TsProcess | undefined

  afterEach(async () => {
    await engine?.stop()
    engine = undefined
  })

  it('--log-format json writes one JSON object per line: connect, invocation, channel, disconnect and shutdown with their fields, and no secret', async () => {
    engine = engineProcess('--log-format', 'json')
    const [url] = await engine.waitForLine(/ws:\/\/\S+/)
    const callee = await worker(url, { token: TOKEN, workerName: 'sensor-1' })
    callee.registerFunction('sensor.read', () => ({ reading: 'result-secret-0d4e' }))
    await callee.ready()
    const caller = await worker(url, { token: TOKEN, workerName: 'dashboard' })
    await caller.trigger({ function_id: 'sensor.read', payload: { probe: 'payload-secret-91fb' } })
    const channel = await caller.createChannel()
    channel.writer.stream.end(Buffer.from('twelve bytes'))
    expect((await channel.reader.readAll()).toString()).to.equal('twelve bytes')
    await engine.waitForLine(/"msg":"channel \S+ ended/, 10_000, { stream: 'stderr' })
    await caller.shutdown()
    await engine.waitForLine(/"msg":"worker dashboard \(\S+\) disconnected/, 10_000, { stream: 'stderr' })
    engine.kill('SIGTERM')
    expect(await engine.exited).to.deep.equal({ code: 0, signal: null })

    const lines = engine
      .stderr()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as JsonLine)
    for (const line of lines) {
      expect(line.time, line.msg).to.match(ISO_UTC)
      expect(line).to.include({ name: 'rx-channels engine' })
      expect(['debug', 'info', 'warn', 'error']).to.include(line.level)
      expect(line.msg).to.be.a('string')
    }
    const one = (pattern: RegExp) => {
      const found = lines.filter((line) => pattern.test(line.msg))
      expect(found, `${pattern} in:\n${lines.map((line) => line.msg).join('\n')}`).to.have.length(1)
      return found[0]
    }

    const connected = one(new RegExp(`^worker ${caller.workerId?.slice(0, 8)} connected from 127\\.0\\.0\\.1:\\d+$`))
    expect(connected).to.include({ level: 'info', worker_id: caller.workerId })
    expect(connected.address).to.match(/^127\.0\.0\.1:\d+$/)

    const invocation = one(/^invocation of sensor\.read /)
    expect(invocation).to.include({ level: 'debug', function_id: 'sensor.read', caller_name: 'dashboard', callee_name: 'sensor-1', outcome: 'ok' })
    expect(invocation.duration_ms).to.be.a('number')

    const opened = one(/^channel \S+ opened/)
    expect(opened).to.include({ level: 'debug', channel_id: channel.writerRef.channel_id, worker_name: 'dashboard' })
    const ended = one(/^channel \S+ ended/)
    expect(ended).to.include({ level: 'debug', channel_id: channel.writerRef.channel_id, outcome: 'clean', bytes_in: 12, bytes_out: 12 })
    expect(ended.duration_ms).to.be.a('number')

    const disconnected = one(/^worker dashboard \(\S+\) disconnected after /)
    expect(disconnected).to.include({ level: 'info', worker_id: caller.workerId, worker_name: 'dashboard', outcome: 'clean' })
    expect(disconnected.duration_ms).to.be.a('number')

    const shutdown = one(/^engine shut down in /)
    expect(shutdown).to.include({ level: 'info', workers: 1, channels: 0 })
    expect(shutdown.duration_ms).to.be.a('number')
    expect(lines.indexOf(shutdown), 'the shutdown line is the last').to.equal(lines.length - 1)

    const secrets = [TOKEN, channel.writerRef.access_key, channel.readerRef.access_key, 'payload-secret-91fb', 'result-secret-0d4e']
    for (const secret of secrets) expect(engine.stderr(), `${secret.slice(0, 4)}…`).not.to.contain(secret).and.not.to.contain(secret.slice(0, 8))
  })

  it('writes text lines that start with an ISO 8601 UTC timestamp, name workers by name and short id, and escape what would break a line', async () => {
    engine = engineProcess()
    const [url] = await engine.waitForLine(/ws:\/\/\S+/)
    const callee = await worker(url, { token: TOKEN, workerName: 'sensor-1' })
    callee.registerFunction('sensor.read', () => 42)
    await callee.ready()
    const caller = await worker(url, { token: TOKEN, workerName: 'forged\n2020-01-01T00:00:00.000Z [rx-channels engine] error: fake' })
    expect(await caller.trigger({ function_id: 'sensor.read', payload: {} })).to.equal(42)
    // The whole line: a timestamp, the name with its line break escaped, the short ids.
    await engine.waitForLine(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z \\[rx-channels engine\\] debug: invocation of sensor\\.read from worker forged\\\\n2020.+ \\(${SHORT_ID}\\) to worker sensor-1 \\(${SHORT_ID}\\): ok in [\\d.]+ m?s$`,
      ),
      10_000,
      { stream: 'stderr' },
    )
    await callee.shutdown()
    await engine.waitForLine(new RegExp(`info: worker sensor-1 \\(${SHORT_ID}\\) disconnected after [\\d.]+ m?s: closed cleanly$`), 10_000, { stream: 'stderr' })
    engine.kill('SIGTERM')
    await engine.exited
    const lines = engine.stderr().split('\n').filter((line) => line !== '')
    for (const line of lines) expect(line).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[rx-channels engine\] (debug|info|warn|error): /)
    expect(lines.filter((line) => line.startsWith('2020-')), 'a forged line').to.deep.equal([])
    expect(lines[lines.length - 1]).to.match(/ info: engine shut down in [\d.]+ m?s; open when it began: 1 worker, /)
  })
})
