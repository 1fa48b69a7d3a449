import { expect } from 'chai'
import fs from 'fs'
import { filter, firstValueFrom, Subject, throwError, timeout } from 'rxjs'
import {
  ConnectionError,
  InvocationError,
  registerWorker,
  silentLogger,
  startEngine,
  WorkerError,
  type Engine,
  type Logger,
  type WorkerClient,
  type WorkerOptions,
} from '../../lib'
import { UpgradeRefusedError } from '../../lib/socket/connect'
import { spawnTs } from '../../demos/support/processes'
import { ENGINE_NODE_FLAGS } from '../../lib/cli/heap-floor'
import { closedPort } from '../support/tcp'
import { selfSignedCertificate } from '../support/tls'

/** A logger that keeps every line and lets a spec wait (5 s at most) for the next line that matches. */
function watchedLogger(): Logger & { readonly lines: string[]; line(pattern: RegExp): Promise<string> } {
  const lines: string[] = []
  const logged$ = new Subject<string>()
  const at = (level: string) => (message: string) => {
    lines.push(`${level}: ${message}`)
    logged$.next(`${level}: ${message}`)
  }
  return {
    lines,
    line: (pattern) =>
      firstValueFrom(
        logged$.pipe(
          filter((line) => pattern.test(line)),
          timeout({ first: 5_000, with: () => throwError(() => new Error(`no log line matching ${pattern} within 5000 ms`)) }),
        ),
      ),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  }
}

/** Settles with how `promise` settled, or rejects if it is still pending after `ms` (what the old client did). */
function settled<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<{ value?: T; error?: Error }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms)
    promise.then(
      (value) => resolve({ value }),
      (error: Error) => resolve({ error }),
    )
    promise.finally(() => clearTimeout(timer)).catch(() => undefined)
  })
}

async function rejection<E extends Error>(promise: Promise<unknown>, what: string): Promise<E> {
  const { error } = await settled(promise, what)
  if (!error) throw new Error(`expected ${what} to reject, it resolved`)
  return error as E
}

const FAST_RETRIES = { initialDelayMs: 10, maxDelayMs: 10 }
const REFUSED_WARNING = /^warn: cannot connect to the engine at ws:\/\/127\.0\.0\.1:\d+: connection refused \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); retrying in \d+ ms$/

describe('worker client that cannot reach its engine', () => {
  const clients: WorkerClient[] = []
  const client = (url: string, options: WorkerOptions) => {
    const started = registerWorker(url, { logger: silentLogger, ...options })
    clients.push(started)
    return started
  }
  let engine: Engine | undefined
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((started) => started.shutdown()))
    await engine?.close()
    engine = undefined
  })

  describe('refused connections', () => {
    it('logs each refused attempt once at warn with its cause and delay; ready() rejects with engine_unreachable caused by the refusal', async () => {
      const logger = watchedLogger()
      const worker = client(`ws://127.0.0.1:${await closedPort()}`, { logger, reconnect: { ...FAST_RETRIES, maxRetries: 2 } })
      const error = await rejection<WorkerError>(worker.ready(), 'ready()')
      expect(error).to.be.instanceOf(WorkerError).and.include({ code: 'engine_unreachable' })
      expect(error.message).to.match(/connection refused \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); gave up after 2 retries \(reconnect\.maxRetries\)$/)
      expect(error.cause).to.be.instanceOf(ConnectionError).and.include({ code: 'connection_refused' })
      expect((error.cause as ConnectionError).cause).to.include({ code: 'ECONNREFUSED' })
      const warnings = logger.lines.filter((line) => line.startsWith('warn: '))
      expect(warnings).to.have.length(2)
      for (const warning of warnings) expect(warning).to.match(REFUSED_WARNING)
      expect(logger.lines.filter((line) => line.startsWith('error: '))).to.deep.equal([`error: ${error.message}`])
    })

    it('rejects awaited and fire-and-forget triggers waiting to be sent, createChannel() and later calls with engine_unreachable and the cause', async () => {
      const worker = client(`ws://127.0.0.1:${await closedPort()}`, { reconnect: { ...FAST_RETRIES, maxRetries: 1 } })
      const awaited = rejection<InvocationError>(worker.trigger({ function_id: 'awaited' }), 'an awaited trigger')
      const forgotten = rejection<InvocationError>(worker.trigger({ function_id: 'forgotten', action: { type: 'void' } }), 'a fire-and-forget trigger')
      const channel = rejection<InvocationError>(worker.createChannel(), 'createChannel()')
      const failures = [await awaited, await forgotten, await channel]
      await rejection(worker.ready(), 'ready()')
      failures.push(await rejection<InvocationError>(worker.trigger({ function_id: 'later', action: { type: 'void' } }), 'a later trigger'))
      expect(failures.map((failure) => failure.function_id)).to.deep.equal(['awaited', 'forgotten', 'engine::channels::create', 'later'])
      for (const failure of failures) {
        expect(failure).to.be.instanceOf(InvocationError).and.include({ code: 'engine_unreachable' })
        expect(failure.message).to.contain('connection refused')
        expect(failure.cause).to.be.instanceOf(ConnectionError).and.include({ code: 'connection_refused' })
      }
    })

    it('fails createChannel() with not_connected naming the refused connection when its timeout passes unsent, not a bare TIMEOUT', async () => {
      const logger = watchedLogger()
      const worker = client(`ws://127.0.0.1:${await closedPort()}`, { logger, reconnect: FAST_RETRIES, invocationTimeoutMs: 200 })
      await logger.line(REFUSED_WARNING)
      const error = await rejection<InvocationError>(worker.createChannel(), 'createChannel()')
      expect(error).to.be.instanceOf(InvocationError).and.include({ code: 'not_connected', function_id: 'engine::channels::create' })
      expect(error.message).to.match(/^not_connected: not sent within 200 ms: the engine at ws:\/\/127\.0\.0\.1:\d+ cannot be reached: connection refused/)
      expect(error.cause).to.be.instanceOf(ConnectionError).and.include({ code: 'connection_refused' })
    })

    it('gives up on an engine that went away and stays away: ready() rejects with engine_unreachable after the drop and the failed retry', async () => {
      engine = await startEngine({ port: 0, logger: silentLogger })
      const logger = watchedLogger()
      const worker = client(engine.url, { logger, reconnect: { ...FAST_RETRIES, maxRetries: 1 } })
      await worker.ready()
      await engine.close()
      engine = undefined
      const error = await rejection<WorkerError>(worker.ready(), 'ready()')
      expect(error).to.include({ code: 'engine_unreachable' })
      expect(error.cause).to.be.instanceOf(ConnectionError).and.include({ code: 'connection_refused' })
      expect(logger.lines.filter((line) => line.startsWith('warn: '))).to.have.length(1)
      expect(logger.lines[0]).to.match(/^warn: disconnected from the engine \(1001\): .*; retrying in \d+ ms$/)
    })
  })

  describe('an engine process that freezes (SIGSTOP) while ready() waits for its round trip, then is killed (SIGKILL)', () => {
    it('makes ready() wait through the drop and reject with engine_unreachable once the retry fails, not with connection_lost', async () => {
      // Started with its heap flags, the CLI runs the engine itself rather than in a child process, so the signals reach it.
      const engineProcess = spawnTs('lib/cli/main.ts', ['engine', '--port', '0'], { nodeFlags: ENGINE_NODE_FLAGS })
      try {
        const [url] = await engineProcess.waitForLine(/ws:\/\/\S+:\d+/)
        const worker = client(url, { reconnect: { ...FAST_RETRIES, maxRetries: 1 } })
        await worker.ready()
        engineProcess.kill('SIGSTOP')
        const pending = rejection<WorkerError>(worker.ready(), 'ready()')
        engineProcess.kill('SIGKILL')
        await engineProcess.exited
        const error = await pending
        expect(error).to.be.instanceOf(WorkerError).and.include({ code: 'engine_unreachable' })
        expect(error.cause).to.be.instanceOf(ConnectionError).and.include({ code: 'connection_refused' })
      } finally {
        engineProcess.kill('SIGKILL')
        await engineProcess.exited
      }
    })
  })

  describe('other causes, each named in the log line and the error', () => {
    it('a host name that does not resolve: DNS lookup failed', async () => {
      const logger = watchedLogger()
      const worker = client('ws://no-such-host.invalid:1', { logger, reconnect: { ...FAST_RETRIES, maxRetries: 1 } })
      const error = await rejection<WorkerError>(worker.ready(), 'ready()')
      expect(error).to.include({ code: 'engine_unreachable' })
      expect(error.cause).to.be.instanceOf(ConnectionError).and.include({ code: 'dns_lookup_failed' })
      const dns = /DNS lookup failed \(getaddrinfo (ENOTFOUND|EAI_AGAIN) no-such-host\.invalid\)/
      expect(logger.lines).to.have.length(2)
      expect(logger.lines[0]).to.match(/^warn: cannot connect to the engine at ws:\/\/no-such-host\.invalid:1: /).and.match(dns).and.match(/; retrying in \d+ ms$/)
      expect(logger.lines[1]).to.match(/^error: /).and.match(dns).and.match(/gave up after 1 retry/)
    })

    it('an engine whose TLS certificate the client does not trust: TLS handshake failed, with the hint to pass tls.ca', async () => {
      const certificate = selfSignedCertificate()
      try {
        engine = await startEngine({ port: 0, logger: silentLogger, tls: { cert: certificate.cert, key: certificate.key } })
        const logger = watchedLogger()
        const worker = client(engine.url, { logger, reconnect: { ...FAST_RETRIES, maxRetries: 1 } })
        const error = await rejection<WorkerError>(worker.ready(), 'ready()')
        expect(error).to.include({ code: 'engine_unreachable' })
        expect(error.cause).to.be.instanceOf(ConnectionError).and.include({ code: 'tls_failed' })
        expect(logger.lines[0]).to.match(
          /^warn: cannot connect to the engine at wss:\/\/127\.0\.0\.1:\d+: TLS handshake failed \(DEPTH_ZERO_SELF_SIGNED_CERT: self[- ]signed certificate\); a private or self-signed certificate needs tls\.ca; retrying in \d+ ms$/,
        )
      } finally {
        fs.rmSync(certificate.dir, { recursive: true, force: true })
      }
    })

    it('an engine that refuses the token (HTTP 401): logged once at error, final at once, ready() rejects with unauthorized caused by the refusal', async () => {
      engine = await startEngine({ port: 0, logger: silentLogger, token: 'the-right-token' })
      const logger = watchedLogger()
      const worker = client(engine.url, { logger, token: 'a-wrong-token', reconnect: FAST_RETRIES })
      const error = await rejection<WorkerError>(worker.ready(), 'ready()')
      expect(error).to.include({ code: 'unauthorized' })
      expect(error.cause).to.be.instanceOf(UpgradeRefusedError).and.include({ code: 'upgrade_refused', status: 401, reason: 'invalid token' })
      expect(logger.lines).to.deep.equal([`error: the engine at ${engine.url} refused this worker (HTTP 401): invalid token`])
    })

    it('a URL that cannot be connected to: final at once, engine_unreachable caused by invalid_url', async () => {
      const worker = client('not a url', { reconnect: FAST_RETRIES })
      const error = await rejection<WorkerError>(worker.ready(), 'ready()')
      expect(error).to.include({ code: 'engine_unreachable' })
      expect(error.cause).to.be.instanceOf(ConnectionError).and.include({ code: 'invalid_url' })
    })
  })

  describe('the outbox', () => {
    it('holds at most outbox.maxEntries while not connected, refusing more with outbox_full; what it holds is sent once the engine is up, and a fire-and-forget call resolves only then', async () => {
      const port = await closedPort()
      const logger = watchedLogger()
      const worker = client(`ws://127.0.0.1:${port}`, { logger, reconnect: FAST_RETRIES, outbox: { maxEntries: 2 } })
      const received: unknown[] = []
      worker.registerFunction('sink', (input: unknown) => {
        received.push(input)
        return 'handled'
      })
      await logger.line(REFUSED_WARNING)
      let forgottenSettled = false
      const forgotten = worker.trigger({ function_id: 'sink', payload: 'forgotten', action: { type: 'void' } }).finally(() => (forgottenSettled = true))
      const awaited = worker.trigger({ function_id: 'sink', payload: 'awaited' })
      const refused = await rejection<InvocationError>(worker.trigger({ function_id: 'sink', payload: 'third' }), 'a third trigger')
      expect(refused).to.include({ code: 'outbox_full', function_id: 'sink' })
      expect(refused.message).to.contain('outbox.maxEntries 2').and.contain('connection refused')
      expect(refused.cause).to.be.instanceOf(ConnectionError)
      // Two more refused attempts while both wait: the fire-and-forget call has not resolved.
      await logger.line(REFUSED_WARNING)
      await logger.line(REFUSED_WARNING)
      expect(forgottenSettled).to.equal(false)

      engine = await startEngine({ port, logger: silentLogger })
      expect(await forgotten).to.equal(undefined)
      expect(await awaited).to.equal('handled')
      expect(received).to.deep.equal(['forgotten', 'awaited'])
    })

    it('refuses a frame past outbox.maxBytes with outbox_full, keeping what it holds', async () => {
      const worker = client(`ws://127.0.0.1:${await closedPort()}`, { reconnect: FAST_RETRIES, outbox: { maxBytes: 400 } })
      const held = rejection<InvocationError>(worker.trigger({ function_id: 'small', payload: 'x'.repeat(100) }), 'the held trigger')
      const refused = await rejection<InvocationError>(worker.trigger({ function_id: 'big', payload: 'x'.repeat(300) }), 'the big trigger')
      expect(refused).to.include({ code: 'outbox_full', function_id: 'big' })
      expect(refused.message).to.contain('outbox.maxBytes 400')
      await worker.shutdown()
      expect(await held).to.include({ code: 'shutdown', function_id: 'small' })
    })

    it('drops an invocation from the outbox as soon as it times out (not_connected), making room at once', async () => {
      const worker = client(`ws://127.0.0.1:${await closedPort()}`, { reconnect: FAST_RETRIES, outbox: { maxEntries: 1 } })
      const timedOut = await rejection<InvocationError>(worker.trigger({ function_id: 'first', timeoutMs: 50 }), 'the first trigger')
      expect(timedOut).to.include({ code: 'not_connected', function_id: 'first' })
      const next = rejection<InvocationError>(worker.trigger({ function_id: 'next', action: { type: 'void' } }), 'the next trigger')
      await worker.shutdown()
      expect(await next, 'held, then rejected at shutdown').to.include({ code: 'shutdown', function_id: 'next' })
    })

    it('refuses outbox limits that are not positive integers with invalid_argument', () => {
      expect(() => registerWorker('ws://127.0.0.1:1', { outbox: { maxEntries: 0 } })).to.throw(WorkerError, 'outbox.maxEntries must be a positive integer, got 0')
      expect(() => registerWorker('ws://127.0.0.1:1', { outbox: { maxBytes: 1.5 } })).to.throw(WorkerError, 'outbox.maxBytes must be a positive integer, got 1.5')
    })
  })
})
