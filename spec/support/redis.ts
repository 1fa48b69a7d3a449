import { spawn, type ChildProcess } from 'child_process'
import { createInterface } from 'readline'
import { freePort, redisServerFound } from '../../demos/support/redis-server'

const INSTALL_HINT = 'install redis-server (Debian: apt-get install redis-server) to run the cluster specs'

/**
 * For a suite's `before`: where `redis-server` is missing the suite is pending with one line
 * saying what to install, unless RX_CHANNELS_REQUIRE_REDIS=1 (CI), where that is a failure.
 */
export function requireRedisServer(context: Mocha.Context): void {
  if (redisServerFound()) return
  if (process.env.RX_CHANNELS_REQUIRE_REDIS === '1') throw new Error(`redis-server not found (RX_CHANNELS_REQUIRE_REDIS=1): ${INSTALL_HINT}`)
  console.log(`      ${INSTALL_HINT}`)
  context.skip()
}

/** A `redis-server` of a test's own, on 127.0.0.1, never the machine's shared one. */
export interface TestRedis {
  readonly port: number
  /** `redis://127.0.0.1:PORT` (with the password, if it has one). */
  readonly url: string
  /** SIGKILLs it; resolves once it has exited. */
  kill(): Promise<void>
  /** Starts it again on the same port (empty: nothing is saved). */
  restart(): Promise<void>
  /** SIGSTOPs it: its connections stay open, and nothing is answered. */
  pause(): void
  /** SIGCONTs it. */
  resume(): void
  /** Stops it; safe to call when it is not running. */
  stop(): Promise<void>
}

/** Starts `redis-server` on a free port, nothing saved to disk; resolves once it accepts connections. */
export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no']
    if (options.password !== undefined) args.push('--requirepass', options.password)
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = started
    await new Promise<void>((resolve, reject) => {
      let output = ''
      createInterface({ input: started.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        output += `${line}\n`
        if (/Ready to accept connections/.test(line)) resolve()
      })
      started.once('exit', (code, signal) => reject(new Error(`redis-server exited (${signal ?? code}) before it was ready:\n${output}`)))
    })
  }
  const exit = async (signal: NodeJS.Signals) => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()))
    running.kill(signal)
    // A paused server would not act on SIGTERM until it runs again.
    running.kill('SIGCONT')
    await exited
  }
  await launch()
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    kill: () => exit('SIGKILL'),
    restart: launch,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    stop: () => exit('SIGTERM'),
  }
}
