import { spawn, type ChildProcess } from 'child_process'
import path from 'path'
import { createInterface } from 'readline'

const ROOT = path.join(__dirname, '..', '..')

/** A child Node process running a TypeScript file of this repository. */
export interface TsProcess {
  readonly child: ChildProcess
  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first or `timeoutMs` passes. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** Resolves when the process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Everything the process wrote to stderr so far. */
  stderr(): string
  kill(signal?: NodeJS.Signals): void
}

/** Runs `script` (relative to the repository root) under esbuild-register, as its own OS process. */
export function spawnTs(script: string, args: readonly string[] = [], options: { echo?: string } = {}): TsProcess {
  const child = spawn(process.execPath, ['-r', 'esbuild-register', path.join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const waiters = new Set<(line: string) => void>()
  let stderr = ''
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(line)
    if (options.echo !== undefined) process.stdout.write(`${options.echo}${line}\n`)
    for (const waiter of [...waiters]) waiter(line)
  })
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text
    if (options.echo !== undefined) process.stderr.write(text.replace(/^(?=.)/gm, options.echo))
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )

  const waitForLine = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const seen = lines.map((line) => line.match(pattern)).find((match) => match !== null)
      if (seen) return resolve(seen)
      const done = () => {
        waiters.delete(onLine)
        clearTimeout(timer)
      }
      const onLine = (line: string) => {
        const match = line.match(pattern)
        if (!match) return
        done()
        resolve(match)
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`${script}: no line matching ${pattern} within ${timeoutMs} ms; stderr:\n${stderr}`))
      }, timeoutMs)
      waiters.add(onLine)
      void exited.then(({ code, signal }) => {
        if (!waiters.has(onLine)) return
        done()
        reject(new Error(`${script} exited (${signal ?? code}) before printing ${pattern}; stderr:\n${stderr}`))
      })
    })

  return {
    child,
    waitForLine,
    exited,
    stderr: () => stderr,
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    },
  }
}

/** Starts the engine CLI on a free port as its own process and returns it with its address. */
export async function spawnEngine(options: { echo?: string } = {}): Promise<{ engine: TsProcess; url: string }> {
  const engine = spawnTs('lib/cli/main.ts', ['engine', '--port', '0', '--log-level', 'warn'], options)
  const [url] = await engine.waitForLine(/ws:\/\/[^\s]+/)
  return { engine, url }
}

/** The engine address a demo worker was given: the first argument, `$RX_CHANNELS_URL`, or the default port. */
export function engineUrlFromArgs(): string {
  return process.argv[2] ?? process.env.RX_CHANNELS_URL ?? 'ws://127.0.0.1:49134'
}
