import { readFileSync } from 'fs'
import { parseArgs } from 'util'
import { DEFAULT_ENGINE_PORT, DEFAULT_KEY_PREFIX, DEFAULT_LIMITS, DEFAULT_NODE_TTL_MS, originPolicy, startEngine, type EngineLimits, type EngineOptions } from '../engine'
import { stderrLogger, type LogFormat, type LogLevel } from '../log'
import { exitWithLauncher, hasHeapFloor, relaunchWithHeapFloor } from './heap-floor'
import { runStatus } from './status'
import { whenParentExits } from './parent-watch'

// Bundled into dist/cli.js by esbuild, read from the checkout when run from source.
const { version: VERSION } = require('../../package.json') as { version: string }

/** The engine limits as flags: `--max-frame-bytes N` sets `maxFrameBytes`. */
const LIMIT_FLAGS: ReadonlyArray<readonly [flag: string, option: keyof EngineLimits, help: string]> = [
  ['max-message-bytes', 'maxMessageBytes', 'largest control message on a worker socket'],
  ['max-frame-bytes', 'maxFrameBytes', 'largest frame on a channel socket'],
  ['max-channels-per-worker', 'maxChannelsPerWorker', 'open channels one worker may have created'],
  ['max-pending-invocations', 'maxPendingInvocationsPerWorker', 'invocations one worker may wait on'],
  ['max-buffer-frames', 'maxBufferFrames', 'largest buffer_size of a channel (frames)'],
  ['channel-ttl-ms', 'channelTtlMs', 'ms before a channel not connected on both ends is swept'],
  ['max-functions-per-worker', 'maxFunctionsPerWorker', 'functions one worker may register'],
  ['max-function-id-bytes', 'maxFunctionIdBytes', 'longest function id (UTF-8 bytes)'],
  ['max-registration-bytes', 'maxRegistrationBytes', 'largest registration or worker metadata (JSON bytes)'],
  ['max-registration-bytes-per-worker', 'maxRegistrationBytesPerWorker', "all of one worker's registrations (JSON bytes)"],
  ['function-reservation-ms', 'functionReservationMs', "ms a dropped worker's function ids stay reserved for it"],
  ['max-connections', 'maxConnections', 'open TCP connections in total (503 past it)'],
  ['max-connections-per-address', 'maxConnectionsPerAddress', 'open TCP connections from one address (429 past it)'],
  ['upgrade-timeout-ms', 'upgradeTimeoutMs', 'ms for a request, upgrade or TLS handshake to complete'],
  ['max-telemetry-message-bytes', 'maxTelemetryMessageBytes', 'largest message on a /otel socket'],
  ['telemetry-idle-ms', 'telemetryIdleMs', 'ms after which a silent /otel socket is closed'],
  ['max-queued-bytes-per-worker', 'maxQueuedBytesPerWorker', 'bytes queued to a worker past which it gets no invocations'],
  ['worker-drain-grace-ms', 'workerDrainGraceMs', 'ms a worker past that limit has to drain before it is dropped'],
  ['max-held-bytes-per-channel', 'maxHeldBytesPerChannel', 'bytes one channel may hold before its writer is paused'],
  ['max-held-bytes-per-worker', 'maxHeldBytesPerWorker', "bytes one worker's channels may hold before their writers are paused"],
  ['max-held-bytes', 'maxHeldBytes', 'bytes all channels may hold before writers are paused'],
  ['max-proxy-bytes-per-end', 'maxProxyBytesPerEnd', 'bytes a node holds per direction for a channel end it proxies'],
  ['max-otlp-queue-bytes', 'maxOtlpQueueBytes', '/otel bytes held for --otlp-endpoint before the newest are dropped'],
  ['otlp-timeout-ms', 'otlpTimeoutMs', 'ms the --otlp-endpoint collector has to answer an export'],
]

/** The limits' help column starts past the longest flag. */
const LIMIT_FLAG_WIDTH = Math.max(...LIMIT_FLAGS.map(([flag]) => `--${flag} N`.length))

const TOKEN_ENV = 'RX_CHANNELS_TOKEN'
const REDIS_ENV = 'RX_CHANNELS_REDIS'

const USAGE = `Usage: rx-channels engine [options]
       rx-channels status URL [--token TOKEN] [--once] [--json]

Starts an rx-channels engine: workers connect to ws://HOST:PORT/, channel ends to
ws://HOST:PORT/ws/channels/{id}. Prints one line with the address once it accepts
connections. SIGINT or SIGTERM shut it down cleanly (exit code 0).

Options:
  --host HOST                    interface to listen on (default 127.0.0.1)
  --port PORT                    port to listen on; 0 picks a free port (default ${DEFAULT_ENGINE_PORT})
  --log-level LEVEL              debug, info, warn, error or silent (default info)
  --log-format FORMAT            text (timestamped lines) or json (one object per line, for
                                 log collectors) (default text)
  --token TOKEN                  require this token from workers and /otel, as "Authorization: Bearer"
                                 or ?token= (default: $${TOKEN_ENV}, which ps does not show);
                                 channel sockets stay guarded by their own keys
  --allowed-origins LIST         browser pages that may open sockets, comma-separated:
                                 scheme://host[:port], scheme://host:* (any port), or * for all;
                                 other pages get HTTP 403, clients that send no Origin are not
                                 affected (default: loopback pages, http(s)://localhost:*,
                                 http(s)://127.0.0.1:*, http(s)://[::1]:*)
  --tls-cert FILE                serve wss:// with this PEM certificate (with --tls-key)
  --tls-key FILE                 the PEM private key of --tls-cert
  --keep-channels-of-gone-workers
                                 keep a worker's channels when it disconnects (default: abort)
  --otlp-endpoint URL            an OTLP/HTTP collector, http(s)://HOST:PORT: forward what official
                                 clients send on /otel to URL/v1/{traces,metrics,logs}, and export a
                                 span per invocation routed to a worker (default: none; /otel data
                                 is dropped and traceparents pass through untouched)

Cluster (engines sharing one Redis; without --redis the engine runs on its own):
  --redis URL                    join the cluster of this Redis, redis://[:PASSWORD@]HOST:PORT
                                 (default: $${REDIS_ENV}, which ps does not show); the password
                                 is never logged
  --node-id ID                   this node's id, 1-64 of A-Z a-z 0-9 _ - (default: random)
                                 one engine per id: an id a live node holds is refused
  --advertise URL                ws://HOST:PORT where other nodes reach this one (default: this
                                 engine's address; required with a wildcard --host)
  --node-ttl-ms N                ms without renewal after which a node is dead (default ${DEFAULT_NODE_TTL_MS})
  --redis-prefix PREFIX          prefix of the cluster's Redis keys and channels (default ${DEFAULT_KEY_PREFIX})

Status (a view of a running engine at URL, ws://HOST:PORT, through its engine functions; it
connects as a worker named "rx-channels status"):
  --once                         print one plain snapshot and exit (default: refresh each second
                                 until interrupted)
  --json                         print one snapshot as JSON and exit, for scripts
  --token TOKEN                  the engine's token, as above (default: $${TOKEN_ENV})

  -v, --version                  print the version (${VERSION})
  -h, --help                     show this help

Limits (each a whole number >= 1):
${LIMIT_FLAGS.map(([flag, option, help]) => `  ${`--${flag} N`.padEnd(LIMIT_FLAG_WIDTH)} ${help} (default ${DEFAULT_LIMITS[option]})`).join('\n')}
`

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']
const LOG_FORMATS: readonly LogFormat[] = ['text', 'json']

/** A usage error: its one line and where to look, exit code 2. */
function fail(message: string): never {
  process.stderr.write(`rx-channels: ${message}\nsee rx-channels --help\n`)
  process.exit(2)
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    fail(`cannot read ${flag} ${file}: ${(error as Error).message}`)
  }
}

/** Turns the parsed flags into engine options, or exits 2 naming the first bad one. */
function engineOptions(values: ReturnType<typeof parseCommand>['values']): EngineOptions {
  const portText = values.port ?? String(DEFAULT_ENGINE_PORT)
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535) fail(`--port must be a whole number from 0 to 65535, got "${portText}"`)
  const level = (values['log-level'] ?? 'info') as LogLevel
  if (!LOG_LEVELS.includes(level)) fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}`)
  const format = (values['log-format'] ?? 'text') as LogFormat
  if (!LOG_FORMATS.includes(format)) fail(`--log-format must be one of ${LOG_FORMATS.join(', ')}`)

  const limits: Partial<Record<keyof EngineLimits, number>> = {}
  for (const [flag, option] of LIMIT_FLAGS) {
    const text = (values as Record<string, string | boolean | undefined>)[flag] as string | undefined
    if (text === undefined) continue
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) fail(`--${flag} must be a whole number >= 1, got "${text}"`)
    limits[option] = Number(text)
  }

  for (const flag of ['once', 'json'] as const) if (values[flag]) fail(`--${flag} is an option of rx-channels status, not of engine`)
  const token = values.token ?? process.env[TOKEN_ENV]
  if (token === '') fail(`the token must not be empty (--token or $${TOKEN_ENV})`)

  const origins = values['allowed-origins']
  const allowedOrigins = origins === undefined ? undefined : origins.split(',').map((origin) => origin.trim()).filter((origin) => origin !== '')
  if (allowedOrigins !== undefined) {
    try {
      originPolicy(allowedOrigins)
    } catch (error) {
      fail(`--allowed-origins: ${(error as Error).message.replace(/^allowedOrigins: /, '')}`)
    }
  }

  const otlp = values['otlp-endpoint']
  if (otlp !== undefined && !/^https?:\/\/[^/]/.test(otlp)) fail(`--otlp-endpoint must be an http:// or https:// URL, got "${otlp}"`)

  const certFile = values['tls-cert']
  const keyFile = values['tls-key']
  if ((certFile === undefined) !== (keyFile === undefined)) fail('--tls-cert and --tls-key go together')
  const tls = certFile !== undefined && keyFile !== undefined ? { cert: readPem('--tls-cert', certFile), key: readPem('--tls-key', keyFile) } : undefined

  const redis = values.redis ?? process.env[REDIS_ENV]
  if (redis === undefined) {
    for (const flag of ['node-id', 'advertise', 'node-ttl-ms', 'redis-prefix'] as const) if (values[flag] !== undefined) fail(`--${flag} needs --redis`)
  }
  const ttlText = values['node-ttl-ms']
  if (ttlText !== undefined && (!/^\d+$/.test(ttlText) || !Number.isSafeInteger(Number(ttlText)))) fail(`--node-ttl-ms must be a whole number, got "${ttlText}"`)
  const cluster =
    redis === undefined || redis === ''
      ? undefined
      : { redis, nodeId: values['node-id'], advertise: values.advertise, nodeTtlMs: ttlText === undefined ? undefined : Number(ttlText), keyPrefix: values['redis-prefix'] }

  return {
    host: values.host ?? '127.0.0.1',
    port,
    logger: stderrLogger('rx-channels engine', level, format),
    dropChannelsOfGoneWorkers: !values['keep-channels-of-gone-workers'],
    token,
    allowedOrigins,
    tls,
    cluster,
    otlpEndpoint: values['otlp-endpoint'],
    ...limits,
  }
}

/** The flags `rx-channels status` takes; the others are the engine's. */
const STATUS_FLAGS: ReadonlySet<string> = new Set(['token', 'once', 'json'])

function status(values: ReturnType<typeof parseCommand>['values'], positionals: string[]): Promise<void> {
  const url = positionals[1]
  if (url === undefined) fail('status needs the engine URL, ws://HOST:PORT')
  if (positionals.length > 2) fail(`unknown command "${positionals.join(' ')}"`)
  if (!/^wss?:\/\//.test(url)) fail(`the engine URL must start with ws:// or wss://, got "${url}"`)
  const misplaced = Object.keys(values).find((flag) => !STATUS_FLAGS.has(flag))
  if (misplaced !== undefined) fail(`--${misplaced} is an option of rx-channels engine, not of status`)
  const token = values.token ?? process.env[TOKEN_ENV]
  if (token === '') fail(`the token must not be empty (--token or $${TOKEN_ENV})`)
  return runStatus({ url, token, once: values.once === true, json: values.json === true })
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommand(argv)
  if (values.help) {
    process.stdout.write(USAGE)
    return
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`)
    return
  }
  if (positionals[0] === 'status') return status(values, positionals)
  if (positionals[0] !== 'engine' || positionals.length > 1) fail(positionals.length === 0 ? 'missing command' : `unknown command "${positionals.join(' ')}"`)
  const options = engineOptions(values)
  if (!hasHeapFloor()) {
    relaunchWithHeapFloor()
    return
  }

  // Signals that arrive while the engine starts still end it cleanly once it is up. A signal
  // may come twice (from the terminal and from the launcher): only the first one counts.
  let stopRequested = false
  let stop: () => void = () => undefined
  const requestStop = (why: string) => {
    if (stopRequested) return
    stopRequested = true
    options.logger?.info(`shutting down: ${why}`)
    stop()
  }
  const onSignal = (signal: NodeJS.Signals) => requestStop(signal)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  if (process.connected) exitWithLauncher()
  else whenParentExits((parentPid) => requestStop(`parent process ${parentPid} exited`))
  const engine = await startEngine(options)
  process.stdout.write(`rx-channels engine listening on ${engine.url}\n`)
  options.logger?.debug(`engine process ${process.pid}, node flags: ${process.execArgv.join(' ')}`)
  stop = () => {
    engine.close().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`rx-channels: shutdown failed: ${error.message}\n`)
        process.exit(1)
      },
    )
  }
  if (stopRequested) stop()
}

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  token: { type: 'string' },
  'allowed-origins': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'keep-channels-of-gone-workers': { type: 'boolean' },
  'otlp-endpoint': { type: 'string' },
  once: { type: 'boolean' },
  json: { type: 'boolean' },
  redis: { type: 'string' },
  'node-id': { type: 'string' },
  advertise: { type: 'string' },
  'node-ttl-ms': { type: 'string' },
  'redis-prefix': { type: 'string' },
  ...Object.fromEntries(LIMIT_FLAGS.map(([flag]) => [flag, { type: 'string' as const }])),
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

/** The flags and the command, or exits 2 naming the first flag that is unknown or misused. */
function parseCommand(argv: string[]) {
  // A lenient pass first, to name the flag in our own words: Node's messages for these
  // cases suggest quoting and leave a dangling quote.
  const { tokens } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS, strict: false, tokens: true })
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const known: { type: 'string' | 'boolean' } | undefined = (OPTIONS as Record<string, { type: 'string' | 'boolean' }>)[token.name]
    if (known === undefined) fail(`unknown option ${token.rawName}`)
    if (known.type === 'string' && token.value === undefined) fail(`${token.rawName} needs a value`)
    if (known.type === 'string' && !token.inlineValue && token.value?.startsWith('-')) fail(`${token.rawName} needs a value; write one that starts with "-" as ${token.rawName}=${token.value}`)
    if (known.type === 'boolean' && token.value !== undefined) fail(`${token.rawName} takes no value`)
  }
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS })
  } catch (error) {
    fail((error as Error).message.split('\n')[0])
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`rx-channels: ${error.message}\n`)
  process.exit(1)
})
