import { parseArgs } from 'util'
import { DEFAULT_ENGINE_PORT, startEngine } from '../engine'
import { stderrLogger, type LogLevel } from '../log'

const USAGE = `Usage: rx-channels engine [options]

Starts an rx-channels engine: workers connect to ws://HOST:PORT/, channel ends to
ws://HOST:PORT/ws/channels/{id}. Prints one line with the address once it accepts
connections. SIGINT or SIGTERM shut it down cleanly (exit code 0).

Options:
  --host HOST        interface to listen on (default 127.0.0.1)
  --port PORT        port to listen on; 0 picks a free port (default ${DEFAULT_ENGINE_PORT})
  --log-level LEVEL  debug, info, warn, error or silent (default info)
  -h, --help         show this help
`

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']

function fail(message: string): never {
  process.stderr.write(`rx-channels: ${message}\n\n${USAGE}`)
  process.exit(2)
}

async function main(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parseCommand>
  try {
    parsed = parseCommand(argv)
  } catch (error) {
    fail((error as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(USAGE)
    return
  }
  if (positionals[0] !== 'engine' || positionals.length > 1) fail(positionals.length === 0 ? 'missing command' : `unknown command "${positionals.join(' ')}"`)
  const portText = values.port ?? String(DEFAULT_ENGINE_PORT)
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535) fail(`--port must be a whole number from 0 to 65535, got "${portText}"`)
  const level = (values['log-level'] ?? 'info') as LogLevel
  if (!LOG_LEVELS.includes(level)) fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}`)

  // Signals that arrive while the engine starts still end it cleanly once it is up.
  let stopRequested = false
  let stop = () => {
    stopRequested = true
  }
  process.once('SIGINT', () => stop())
  process.once('SIGTERM', () => stop())
  const engine = await startEngine({ host: values.host ?? '127.0.0.1', port, logger: stderrLogger('rx-channels engine', level) })
  process.stdout.write(`rx-channels engine listening on ${engine.url}\n`)
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

function parseCommand(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`rx-channels: ${error.message}\n`)
  process.exit(1)
})
