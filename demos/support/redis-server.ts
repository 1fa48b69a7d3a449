import { spawn, spawnSync } from 'child_process'
import { createServer } from 'net'
import { createInterface } from 'readline'

/** What to tell a user who has no `redis-server`. */
export const REDIS_INSTALL_HINT = 'apt-get install redis-server'

/** Whether `redis-server` can be run here. */
export function redisServerFound(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

/** A free TCP port on 127.0.0.1, as the OS hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** A `redis-server` of this process's own, on loopback: never the machine's shared one. */
export interface OwnRedis {
  readonly port: number
  readonly url: string
  /** Resolves once it accepts connections; rejects if it exits first. */
  readonly ready: Promise<void>
  /** SIGTERM; resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>
}

/**
 * Starts `redis-server` on `port` of 127.0.0.1 (see {@link freePort}), saving nothing to disk.
 * Returns at once, so that the caller holds its stop before anything can interrupt the start.
 */
export function spawnRedisServer(port: number): OwnRedis {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ready = new Promise<void>((resolve, reject) => {
    let output = ''
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      output += `${line}\n`
      if (/Ready to accept connections/.test(line)) resolve()
    })
    child.once('error', reject)
    child.once('exit', (code, signal) => reject(new Error(`redis-server exited (${signal ?? code}) before it was ready:\n${output}`)))
  })
  // Whoever awaits `ready` sees a failure; an unawaited one must not crash the process.
  ready.catch(() => undefined)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    ready,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}
