import { expect } from 'chai'
import { spawn, type ChildProcess } from 'child_process'
import fs from 'fs'
import path from 'path'
import WebSocket from 'ws'
import { channelUrl } from '../../lib/protocol/channel-url'
import type { ChannelPair } from '../../lib/protocol/refs'
import { openRaw, rawWorker, refusal, sendJson, type RawSocket, type RawWorker } from '../support/engine'
import { startOtlpReceiver } from '../support/otlp-receiver'
import { halfSentUpgrade, rawTcp, wholeUpgrade } from '../support/tcp'
import { selfSignedCertificate } from '../support/tls'

const ROOT = path.join(__dirname, '..', '..')
const CLI = 'lib/cli/main.ts'

interface CliRun {
  readonly child: ChildProcess
  /** Resolves with the first complete stdout line; rejects if the process ends without one. */
  readonly firstLine: Promise<string>
  /** Resolves once the process exited and its stdout and stderr are fully read. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
  /** Everything written to stderr so far. */
  stderrSoFar(): string
}

const running = new Set<ChildProcess>()

/** Runs the CLI from source as its own OS process, as `rx-channels ...args` would. */
function runCli(...args: string[]): CliRun {
  return runCliWithEnv({}, ...args)
}

/** As {@link runCli}, with `env` added to the environment (and no token inherited from this one). */
function runCliWithEnv(env: NodeJS.ProcessEnv, ...args: string[]): CliRun {
  return runCliWith({ env }, ...args)
}

/**
 * As {@link runCli}, with `env` added to the environment and `nodeFlags` given to node. With
 * `inShell`, the child is a `sh -c` that runs the CLI and does not pass signals on, as the
 * shell that `npx` runs a command in: killing it leaves the CLI without its parent.
 */
function runCliWith({ env = {}, nodeFlags = [], inShell = false }: { env?: NodeJS.ProcessEnv; nodeFlags?: string[]; inShell?: boolean }, ...args: string[]): CliRun {
  const { RX_CHANNELS_TOKEN: _inherited, ...inherited } = process.env
  const command = [process.execPath, ...nodeFlags, '-r', 'esbuild-register', CLI, ...args]
  // '; true' keeps any sh from replacing itself with the command (exec), as dash under npx does not.
  const [file, argv] = inShell ? ['sh', ['-c', `${command.map((word) => `'${word}'`).join(' ')}; true`]] : [command[0], command.slice(1)]
  const child = spawn(file, argv, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inherited, ...env },
  })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text))
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  // 'close' rather than 'exit': it comes after the output streams end, so the output is complete.
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(child)
      resolve({ code, signal, stdout, stderr })
    }),
  )
  const firstLine = new Promise<string>((resolve, reject) => {
    const onData = () => {
      const end = stdout.indexOf('\n')
      if (end === -1) return
      child.stdout!.off('data', onData)
      resolve(stdout.slice(0, end))
    }
    child.stdout!.on('data', onData)
    void ended.then(({ code, signal }) =>
      reject(new Error(`${CLI} ended (${signal ?? code}) before printing a line; stderr:\n${stderr}`)),
    )
  })
  // Tests that expect no line never await it; the rejection must not count as unhandled.
  firstLine.catch(() => undefined)
  return { child, firstLine, ended, stderrSoFar: () => stderr }
}

/**
 * Opens `url` once the engine admits it: a connection the client saw closed still counts
 * against `maxConnections` until the engine process has handled that close, so a 503 is
 * answered again by the next attempt, after the engine has handled what came before it.
 */
async function openOnceAdmitted(url: string): Promise<RawSocket> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openRaw(url)
    } catch (error) {
      if ((error as { status?: number }).status !== 503 || attempt === 50) throw error
    }
  }
}

/** Opens a WebSocket and resolves with it and its first text frame, listening before the handshake completes. */
function connectAndReadFirstFrame(url: string): Promise<{ ws: WebSocket; first: unknown; closed: Promise<number> }> {
  const ws = new WebSocket(url)
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    ws.once('message', (data: Buffer) => resolve({ ws, first: JSON.parse(data.toString('utf8')), closed }))
    ws.once('error', reject)
  })
}

/** Whether `pid` is a live process (not gone, not a zombie waiting to be reaped). */
function isRunning(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z'
  } catch {
    return false
  }
}

/** The parent pid of a live process, from /proc (Linux). */
function parentOf(pid: number): number {
  return Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1])
}

describe('rx-channels CLI (lib/cli/main.ts as a process)', function () {
  // Each case starts a Node process that compiles TypeScript on the fly.
  this.timeout(30_000)

  /** Engine and launcher processes a case found, killed after it if they outlived it. */
  const strays = new Set<number>()

  afterEach(() => {
    for (const child of running) child.kill('SIGKILL')
    for (const pid of strays) if (isRunning(pid)) process.kill(pid, 'SIGKILL')
    strays.clear()
  })

  it('--help prints the usage, including --host and --port, and exits 0', async () => {
    const { code, stdout, stderr } = await runCli('--help').ended
    expect(code).to.equal(0)
    expect(stdout).to.match(/^Usage: rx-channels engine \[options\]/)
    expect(stdout).to.include('--host HOST')
    expect(stdout).to.include('--port PORT')
    expect(stderr).to.equal('')
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`engine --port 0 prints one line with its address, accepts workers there, and exits 0 on ${signal}`, async () => {
      const cli = runCli('engine', '--port', '0')
      const line = await cli.firstLine
      const address = line.match(/ws:\/\/127\.0\.0\.1:(\d+)/)
      expect(address, `stdout line: ${line}`).not.to.equal(null)
      expect(Number(address![1])).to.be.within(1, 65535)

      const worker = await connectAndReadFirstFrame(address![0])
      expect(worker.first).to.deep.include({ type: 'workerregistered' })
      const greeting = worker.first as { worker_id: unknown; reattach_token: unknown }
      expect(greeting.worker_id).to.be.a('string').and.not.equal('')
      expect(greeting.reattach_token).to.be.a('string').and.not.equal('')

      cli.child.kill(signal)
      const { code, signal: killedBy, stdout } = await cli.ended
      expect({ code, signal: killedBy }).to.deep.equal({ code: 0, signal: null })
      // The connected worker is told the engine is going away (1001) rather than dropped.
      expect(await worker.closed).to.equal(1001)
      expect(stdout).to.equal(`${line}\n`)
    })
  }

  for (const port of ['abc', '', ' 0x10 ', '1e3', '70000', '-1']) {
    it(`engine --port "${port}" exits 2 and explains the bad port on stderr`, async () => {
      const { code, stdout, stderr } = await runCli('engine', `--port=${port}`).ended
      expect(code).to.equal(2)
      expect(stdout).to.equal('')
      expect(stderr).to.include(`--port must be a whole number from 0 to 65535, got "${port}"`)
    })
  }

  it('an unknown command exits 2 with its one line and a pointer to --help, not the whole usage', async () => {
    const { code, stdout, stderr } = await runCli('serve').ended
    expect(code).to.equal(2)
    expect(stdout).to.equal('')
    expect(stderr).to.equal('rx-channels: unknown command "serve"\nsee rx-channels --help\n')
  })

  for (const [args, line] of [
    [['engine', '--prot', '1'], 'unknown option --prot'],
    [['-x'], 'unknown option -x'],
    [['engine', '--port'], '--port needs a value'],
    [['--help=yes'], '--help takes no value'],
    [['engine', '--port', '-1'], '--port needs a value; write one that starts with "-" as --port=-1'],
  ] as Array<[string[], string]>) {
    it(`${args.join(' ')} exits 2 naming the flag in one clean line: ${line}`, async () => {
      const { code, stdout, stderr } = await runCli(...args).ended
      expect(code).to.equal(2)
      expect(stdout).to.equal('')
      expect(stderr).to.equal(`rx-channels: ${line}\nsee rx-channels --help\n`)
    })
  }

  for (const flag of ['--version', '-v']) {
    it(`${flag} prints the package version and exits 0`, async () => {
      const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
      const { code, stdout, stderr } = await runCli(flag).ended
      expect({ code, stdout, stderr }).to.deep.equal({ code: 0, stdout: `${version}\n`, stderr: '' })
    })
  }

  it('no command at all exits 2 with "missing command"', async () => {
    const { code, stderr } = await runCli().ended
    expect(code).to.equal(2)
    expect(stderr).to.match(/^rx-channels: missing command\n/)
  })

  /** Starts `engine --port 0 ...args` and resolves with its address once it prints it. */
  async function cliEngine(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ cli: CliRun; url: string }> {
    const cli = runCliWithEnv(env, 'engine', '--port', '0', '--log-level', 'silent', ...args)
    const line = await cli.firstLine
    const url = line.match(/wss?:\/\/127\.0\.0\.1:\d+/)?.[0]
    expect(url, `stdout line: ${line}`).to.be.a('string')
    return { cli, url: url as string }
  }

  async function invoke(worker: RawWorker, invocationId: string, functionId: string, data: unknown = {}) {
    sendJson(worker.ws, { type: 'invokefunction', invocation_id: invocationId, function_id: functionId, data })
    for (;;) {
      const answer = await worker.next('invocationresult')
      if (answer.invocation_id === invocationId) return answer
    }
  }

  it('--help lists every limit flag with its default, and --token, --tls-cert, --tls-key, --keep-channels-of-gone-workers', async () => {
    const { stdout } = await runCli('--help').ended
    for (const [flag, byDefault] of [
      ['--max-message-bytes N', '16777216'],
      ['--max-frame-bytes N', '1048576'],
      ['--max-channels-per-worker N', '4096'],
      ['--max-pending-invocations N', '10000'],
      ['--max-buffer-frames N', '1024'],
      ['--channel-ttl-ms N', '300000'],
      ['--max-functions-per-worker N', '1000'],
      ['--max-function-id-bytes N', '256'],
      ['--max-registration-bytes N', '65536'],
      ['--max-registration-bytes-per-worker N', '8388608'],
      ['--function-reservation-ms N', '15000'],
      ['--max-connections N', '10000'],
      ['--max-connections-per-address N', '1024'],
      ['--upgrade-timeout-ms N', '5000'],
      ['--max-telemetry-message-bytes N', '1048576'],
      ['--telemetry-idle-ms N', '90000'],
      ['--max-queued-bytes-per-worker N', '16777216'],
      ['--worker-drain-grace-ms N', '10000'],
      ['--max-proxy-bytes-per-end N', '2097152'],
      ['--max-otlp-queue-bytes N', '16777216'],
      ['--otlp-timeout-ms N', '10000'],
    ]) {
      expect(stdout).to.match(new RegExp(`${flag} .*\\(default ${byDefault}\\)`))
    }
    for (const flag of ['--token TOKEN', 'RX_CHANNELS_TOKEN', '--allowed-origins LIST', '--tls-cert FILE', '--tls-key FILE', '--keep-channels-of-gone-workers']) {
      expect(stdout).to.include(flag)
    }
  })

  it('engine enforces the limits given as flags, and keeps the channels of gone workers when told to', async () => {
    const { cli, url } = await cliEngine([
      '--max-message-bytes', '2048',
      '--max-frame-bytes', '1024',
      '--max-channels-per-worker', '1',
      '--max-pending-invocations', '1',
      '--max-buffer-frames', '4',
      '--channel-ttl-ms', '200',
      '--keep-channels-of-gone-workers',
    ])
    const worker = await rawWorker(url)
    const first = await invoke(worker, 'c1', 'engine::channels::create', { buffer_size: 100 })
    expect(first.result).to.include({ buffer_size: 4 })
    expect((await invoke(worker, 'c2', 'engine::channels::create')).error).to.include({ code: 'too_many_channels' })

    const { writer, reader } = first.result as ChannelPair
    const writerEnd = await openRaw(channelUrl(url, writer))
    writerEnd.ws.send(Buffer.alloc(2000))
    expect(await writerEnd.closed).to.deep.equal({ code: 1009, reason: 'message over the 1024-byte limit (maxFrameBytes)' })
    const readerEnd = await openRaw(channelUrl(url, reader))
    expect((await readerEnd.closed).code).to.equal(1011)

    // The channel finishes once the engine has seen the reader's socket close, which may come
    // after the reader saw it; then the worker may create another (round trips, not sleeps).
    // Its reader never comes: swept after 200 ms.
    let lonely: ChannelPair | undefined
    for (let round = 0; lonely === undefined; round++) {
      const answer = await invoke(worker, `c3-${round}`, 'engine::channels::create')
      if (answer.error === undefined) lonely = answer.result as ChannelPair
      else expect(answer.error).to.include({ code: 'too_many_channels' })
    }
    const lonelyWriter = await openRaw(channelUrl(url, lonely.writer))
    expect((await lonelyWriter.closed).code).to.equal(4408)

    const callee = await rawWorker(url)
    sendJson(callee.ws, { type: 'registerfunction', id: 'cli.hold' })
    await invoke(callee, 'sync', 'engine::functions::list')
    sendJson(worker.ws, { type: 'invokefunction', invocation_id: 'h1', function_id: 'cli.hold', data: {} })
    expect((await invoke(worker, 'h2', 'cli.hold')).error).to.include({ code: 'too_many_pending_invocations' })

    // A channel whose creator leaves stays usable with --keep-channels-of-gone-workers.
    const kept = (await invoke(callee, 'c4', 'engine::channels::create')).result as ChannelPair
    const keptWriter = await openRaw(channelUrl(url, kept.writer))
    callee.ws.close()
    await callee.closed
    // Once workers::list no longer shows the creator, the engine has handled its departure (round trips, not sleeps).
    for (let round = 0; ; round++) {
      const { workers } = (await invoke(worker, `list-${round}`, 'engine::workers::list')).result as { workers: unknown[] }
      if (workers.length === 1) break
    }
    keptWriter.ws.send(Buffer.from('kept'))
    keptWriter.ws.close(1000)
    const keptReader = await openRaw(channelUrl(url, kept.reader))
    expect((await keptReader.closed).code).to.equal(1000)
    expect(keptReader.frames.map((frame) => frame.data.toString())).to.deep.equal(['kept'])

    worker.ws.send('x'.repeat(3000))
    expect(await worker.closed).to.deep.equal({ code: 1009, reason: 'message over the 2048-byte limit (maxMessageBytes)' })
    cli.child.kill('SIGTERM')
    expect((await cli.ended).code).to.equal(0)
  })

  it('engine enforces the registration limits given as flags', async () => {
    const { cli, url } = await cliEngine([
      '--max-functions-per-worker', '1',
      '--max-function-id-bytes', '4',
      '--max-registration-bytes', '40',
      '--max-registration-bytes-per-worker', '30',
      '--function-reservation-ms', '600000',
    ])
    const owner = await rawWorker(url)
    const ownerId = (await owner.next('workerregistered')).worker_id
    sendJson(owner.ws, { type: 'registerfunction', id: 'abcde' })
    expect(await owner.next('registrationrejected')).to.deep.include({ code: 'function_id_too_long', function_id: 'abcde' })
    sendJson(owner.ws, { type: 'registerfunction', id: 'big', description: 'd'.repeat(41) })
    expect(await owner.next('registrationrejected')).to.deep.include({ code: 'registration_too_large', function_id: 'big' })
    sendJson(owner.ws, { type: 'registerfunction', id: 'one', description: 'd'.repeat(20) })
    expect(await owner.next('registrationrejected')).to.deep.include({ code: 'worker_registrations_too_large', function_id: 'one' })
    sendJson(owner.ws, { type: 'registerfunction', id: 'one' })
    sendJson(owner.ws, { type: 'registerfunction', id: 'two' })
    expect(await owner.next('registrationrejected')).to.deep.include({ code: 'too_many_functions', function_id: 'two' })
    await invoke(owner, 'sync', 'engine::functions::list')
    owner.ws.terminate()
    // Once workers::list no longer shows the owner, the engine has handled its drop: its id is held for it.
    const other = await rawWorker(url)
    for (let round = 0; ; round++) {
      const { workers } = (await invoke(other, `list-${round}`, 'engine::workers::list')).result as { workers: unknown[] }
      if (workers.length === 1) break
    }
    sendJson(other.ws, { type: 'registerfunction', id: 'one' })
    expect(await other.next('registrationrejected')).to.deep.include({ code: 'function_reserved', owner_worker_id: ownerId })
    cli.child.kill('SIGTERM')
    expect((await cli.ended).code).to.equal(0)
  })

  it('engine enforces the connection and telemetry limits given as flags', async () => {
    const { cli, url } = await cliEngine([
      '--max-connections', '3',
      '--max-connections-per-address', '2',
      '--upgrade-timeout-ms', '200',
      '--max-telemetry-message-bytes', '1024',
      '--telemetry-idle-ms', '200',
    ])
    const port = Number(new URL(url).port)
    const held = [await rawTcp(port, halfSentUpgrade()), await rawTcp(port, halfSentUpgrade())]
    expect((await (await rawTcp(port, wholeUpgrade())).answer).split('\r\n')[0]).to.equal('HTTP/1.1 429 Too Many Requests')
    held.push(await rawTcp(port, halfSentUpgrade(), '127.0.0.2'))
    expect((await (await rawTcp(port, wholeUpgrade(), '127.0.0.3')).answer).split('\r\n')[0]).to.equal('HTTP/1.1 503 Service Unavailable')
    for (const answer of await Promise.all(held.map((client) => client.answer))) {
      expect(answer).to.match(/^HTTP\/1.1 408 Request Timeout\r\n[^]*request not complete within 200 ms \(upgradeTimeoutMs\)/)
    }

    const idle = await openOnceAdmitted(`${url}/otel`)
    expect(await idle.closed).to.deep.equal({ code: 1000, reason: 'telemetry socket idle for 200 ms (telemetryIdleMs)' })
    const big = await openOnceAdmitted(`${url}/otel`)
    big.ws.send(Buffer.alloc(1025))
    expect(await big.closed).to.deep.equal({ code: 1009, reason: 'message over the 1024-byte limit (maxTelemetryMessageBytes)' })
    cli.child.kill('SIGTERM')
    expect((await cli.ended).code).to.equal(0)
  })

  const badLimits: Array<[string, string]> = [
    ['--max-message-bytes', '0'],
    ['--max-frame-bytes', 'abc'],
    ['--max-channels-per-worker', '1.5'],
    ['--max-pending-invocations', '-3'],
    ['--max-buffer-frames', ''],
    ['--channel-ttl-ms', '1e3'],
    ['--max-connections-per-address', '0'],
  ]
  for (const [flag, value] of badLimits) {
    it(`engine ${flag} "${value}" exits 2 and explains it`, async () => {
      const { code, stdout, stderr } = await runCli('engine', `${flag}=${value}`).ended
      expect(code).to.equal(2)
      expect(stdout).to.equal('')
      expect(stderr).to.include(`${flag} must be a whole number >= 1, got "${value}"`)
    })
  }

  it('--help lists the cluster flags, and the cluster flags without --redis exit 2', async () => {
    const { stdout } = await runCli('--help').ended
    expect(stdout).to.match(/--node-ttl-ms N .*\(default 10000\)/)
    for (const flag of ['--redis URL', 'RX_CHANNELS_REDIS', '--node-id ID', '--advertise URL', '--redis-prefix PREFIX']) expect(stdout).to.include(flag)
    const { code, stdout: out, stderr } = await runCli('engine', '--node-id', 'n1').ended
    expect({ code, out, stderr }).to.deep.equal({ code: 2, out: '', stderr: 'rx-channels: --node-id needs --redis\nsee rx-channels --help\n' })
  })

  it('engine --redis on a wildcard host without --advertise exits 1 saying why, before connecting to Redis', async () => {
    const { code, stdout, stderr } = await runCli('engine', '--host', '0.0.0.0', '--port', '0', '--redis', 'redis://:pw-never-shown@127.0.0.1:1').ended
    expect(code).to.equal(1)
    expect(stdout).to.equal('')
    expect(stderr).to.include('give cluster.advertise (--advertise ws://HOST:PORT)')
    expect(stderr).not.to.include('pw-never-shown')
  })

  it('engine --otlp-endpoint URL forwards /otel to the collector and exports its invocation spans there by the time it exits', async () => {
    const receiver = await startOtlpReceiver()
    try {
      const { cli, url } = await cliEngine(['--otlp-endpoint', `${receiver.url}/`])
      const telemetry = await openRaw(`${url}/otel`)
      telemetry.ws.send(Buffer.from('LOGS{"resourceLogs":[]}'))
      await receiver.until(() => receiver.requests.find((request) => request.path === '/v1/logs'))
      const handler = await rawWorker(url)
      await invoke(handler, 'sync', 'engine::functions::list')
      sendJson(handler.ws, { type: 'registerfunction', id: 'cli.echo' })
      const caller = await rawWorker(url)
      sendJson(caller.ws, { type: 'invokefunction', invocation_id: 'i1', function_id: 'cli.echo', data: 1 })
      const invocation = await handler.next('invokefunction')
      sendJson(handler.ws, { type: 'invocationresult', invocation_id: invocation.invocation_id, result: 1 })
      await caller.next('invocationresult')
      cli.child.kill('SIGTERM')
      expect((await cli.ended).code).to.equal(0)
      expect(receiver.spans().map((span) => span.name)).to.deep.equal(['invoke cli.echo'])
    } finally {
      await receiver.close()
    }
  })

  it('engine --otlp-endpoint with no http(s) URL exits 2 and explains it', async () => {
    const { code, stdout, stderr } = await runCli('engine', '--otlp-endpoint', 'localhost:4318').ended
    expect({ code, stdout }).to.deep.equal({ code: 2, stdout: '' })
    expect(stderr).to.equal('rx-channels: --otlp-endpoint must be an http:// or https:// URL, got "localhost:4318"\nsee rx-channels --help\n')
  })

  it('engine --log-format xml exits 2 naming the formats it takes', async () => {
    const { code, stdout, stderr } = await runCli('engine', '--log-format', 'xml').ended
    expect(code).to.equal(2)
    expect(stdout).to.equal('')
    expect(stderr).to.equal('rx-channels: --log-format must be one of text, json\nsee rx-channels --help\n')
  })

  it('engine takes its worker token from $RX_CHANNELS_TOKEN or --token, and refuses workers without it (401)', async () => {
    for (const [args, env] of [
      [[], { RX_CHANNELS_TOKEN: 'from-env' }],
      [['--token', 'from-flag'], { RX_CHANNELS_TOKEN: 'overridden' }],
    ] as Array<[string[], NodeJS.ProcessEnv]>) {
      const token = args[1] ?? (env.RX_CHANNELS_TOKEN as string)
      const { cli, url } = await cliEngine(args, env)
      expect(await refusal(url)).to.include({ status: 401 })
      expect(await refusal(`${url}/otel`)).to.include({ status: 401 })
      expect(await refusal(url, { headers: { authorization: 'Bearer overridden' } })).to.deep.equal({ status: 401, body: 'invalid token' })
      const worker = await rawWorker(url, { headers: { authorization: `Bearer ${token}` } })
      expect(await worker.next('workerregistered')).to.have.property('worker_id')
      cli.child.kill('SIGTERM')
      expect((await cli.ended).code).to.equal(0)
    }
    const { code, stderr } = await runCli('engine', '--token=').ended
    expect(code).to.equal(2)
    expect(stderr).to.include('the token must not be empty')
  })

  it('engine --allowed-origins takes a comma-separated list in place of the loopback default, and exits 2 on an entry that is no origin', async () => {
    const { cli, url } = await cliEngine(['--allowed-origins', 'https://app.example, http://dev.example:*'])
    expect(await refusal(url, { origin: 'http://localhost:5173' })).to.deep.equal({ status: 403, body: 'origin http://localhost:5173 is not allowed (allowedOrigins)' })
    for (const origin of ['https://app.example', 'http://dev.example:8080']) {
      const worker = await rawWorker(url, { origin })
      expect(await worker.next('workerregistered')).to.have.property('worker_id')
    }
    cli.child.kill('SIGTERM')
    expect((await cli.ended).code).to.equal(0)
    const { code, stdout, stderr } = await runCli('engine', '--allowed-origins', 'https://app.example/').ended
    expect(code).to.equal(2)
    expect(stdout).to.equal('')
    expect(stderr).to.include('rx-channels: --allowed-origins: "https://app.example/" is not an origin')
  })

  /** The engine's pid and node flags, from its debug log line. */
  async function engineProcess(cli: CliRun): Promise<{ pid: number; flags: string }> {
    await cli.firstLine
    const line = await new Promise<RegExpMatchArray>((resolve) => {
      const find = () => {
        const match = cli.stderrSoFar().match(/engine process (\d+), node flags: (.*)/)
        if (match) resolve(match)
        else cli.child.stderr!.once('data', find)
      }
      find()
    })
    return { pid: Number(line[1]), flags: line[2] }
  }

  it('engine runs in a child node process with a 64 MB old-space floor, which dies with the launcher, even on SIGKILL', async () => {
    const cli = runCli('engine', '--port', '0', '--log-level', 'debug')
    const url = (await cli.firstLine).match(/ws:\/\/\S+/)![0]
    const engine = await engineProcess(cli)
    expect(engine.pid).not.to.equal(cli.child.pid)
    expect(engine.flags.split(' ')).to.include('--initial-old-space-size=64')
    const worker = await connectAndReadFirstFrame(url)

    cli.child.kill('SIGKILL')
    // The engine's socket closes only when its process is gone (a clean shutdown would send 1001).
    expect(await worker.closed).to.equal(1006)
  })

  for (const [how, nodeFlags] of [
    ['a launcher and its engine process', []],
    ['an engine in its own process (own --initial-old-space-size)', ['--initial-old-space-size=32']],
  ] as Array<[string, string[]]>) {
    it(`engine run as ${how} under a wrapper that dies of SIGTERM without passing it on (npx's sh -c) stops: port closed, no process left`, async () => {
      const cli = runCliWith({ env: { npm_command: 'exec' }, nodeFlags, inShell: true }, 'engine', '--port', '0', '--log-level', 'debug')
      const url = (await cli.firstLine).match(/ws:\/\/\S+/)![0]
      const engine = await engineProcess(cli)
      const launcher = parentOf(engine.pid)
      const pids = nodeFlags.length === 0 ? [launcher, engine.pid] : [engine.pid]
      expect(pids.every(isRunning)).to.equal(true)
      expect(parentOf(pids[0])).to.equal(cli.child.pid)
      for (const pid of pids) strays.add(pid)

      cli.child.kill('SIGTERM')
      // 'close' comes once every process holding the shell's stdout and stderr has exited: the
      // CLI's processes inherited them. Without a parent watch it never comes (mocha's timeout).
      const { signal, stderr } = await cli.ended
      expect(signal).to.equal('SIGTERM')
      expect(stderr).to.match(/parent process \d+ exited/)
      expect(pids.filter(isRunning)).to.deep.equal([])
      const refused = await new Promise<string>((resolve) => {
        const ws = new WebSocket(url)
        ws.once('open', () => resolve('accepted'))
        ws.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
      })
      expect(refused).to.equal('ECONNREFUSED')
    })
  }

  it("engine keeps the node process it was started in when given its own --initial-old-space-size", async () => {
    const cli = runCliWith({ nodeFlags: ['--initial-old-space-size=32'] }, 'engine', '--port', '0', '--log-level', 'debug')
    const engine = await engineProcess(cli)
    expect(engine.pid).to.equal(cli.child.pid)
    expect(engine.flags.split(' ')).to.include('--initial-old-space-size=32').and.not.include('--initial-old-space-size=64')
    cli.child.kill('SIGTERM')
    expect((await cli.ended).code).to.equal(0)
  })

  it('engine --tls-cert FILE --tls-key FILE serves wss:// and prints that address', async () => {
    const certificate = selfSignedCertificate()
    try {
      const { cli, url } = await cliEngine(['--tls-cert', certificate.certFile, '--tls-key', certificate.keyFile])
      expect(url).to.match(/^wss:\/\//)
      const worker = await rawWorker(url, { ca: certificate.cert })
      expect(await worker.next('workerregistered')).to.have.property('worker_id')
      cli.child.kill('SIGTERM')
      expect((await cli.ended).code).to.equal(0)

      const alone = await runCli('engine', '--tls-cert', certificate.certFile).ended
      expect(alone.code).to.equal(2)
      expect(alone.stderr).to.include('--tls-cert and --tls-key go together')
      const missing = await runCli('engine', '--tls-cert', certificate.certFile, '--tls-key', path.join(certificate.dir, 'nope.pem')).ended
      expect(missing.code).to.equal(2)
      expect(missing.stderr).to.include('cannot read --tls-key')
    } finally {
      fs.rmSync(certificate.dir, { recursive: true, force: true })
    }
  })
})
