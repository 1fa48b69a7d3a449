import { spawn, type ChildProcess } from 'child_process'
import path from 'path'
import { createInterface } from 'readline'

const ROOT = path.join(__dirname, '..', '..')

export interface WaitOptions {
  /** Which output to watch. Default stdout. */
  readonly stream?: 'stdout' | 'stderr'
  /** Only lines after this many (see `lineCount`) count. Default 0: every line so far counts too. */
  readonly since?: number
}

/** A child process started here: most often Node running a TypeScript file of this repository. */
export interface TsProcess {
  readonly child: ChildProcess
  /** Resolves with the first line matching `pattern`; rejects if the process exits first or `timeoutMs` passes. */
  waitForLine(pattern: RegExp, timeoutMs?: number, options?: WaitOptions): Promise<RegExpMatchArray>
  /** How many lines the process has written to `stream` so far. */
  lineCount(stream?: 'stdout' | 'stderr'): number
  /** Resolves when the process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Everything the process wrote to stdout so far. */
  stdout(): string
  /** Everything the process wrote to stderr so far. */
  stderr(): string
  kill(signal?: NodeJS.Signals): void
  /** SIGTERM, then SIGKILL if the process is still there after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** How a child process is run and watched. */
export interface SpawnOptions {
  /** Copy each stdout line (and stderr line, unless `echoStderr` says otherwise) to this process's, after this prefix. */
  echo?: string
  echoStderr?: string
  env?: NodeJS.ProcessEnv
  /** Called with each line the process writes to stderr. */
  onStderrLine?: (line: string) => void
  /** Called with each line the process writes to stdout. */
  onStdoutLine?: (line: string) => void
}

/** Runs `script` (relative to the repository root) under esbuild-register, as its own OS process, with `nodeFlags` given to node. */
export function spawnTs(
  script: string,
  args: readonly string[] = [],
  options: SpawnOptions & { nodeFlags?: readonly string[] } = {},
): TsProcess {
  return spawnNode([...(options.nodeFlags ?? []), '-r', 'esbuild-register', path.join(ROOT, script), ...args], { ...options, label: script })
}

/** Runs `node ...args` as its own OS process (in the repository root unless `cwd` says otherwise); `label` names it in errors. */
export function spawnNode(args: readonly string[], options: SpawnOptions & { label: string; cwd?: string }): TsProcess {
  return spawnCommand(process.execPath, args, options)
}

/** Runs `command ...args` as its own OS process, watched as {@link spawnNode} watches node. */
export function spawnCommand(command: string, args: readonly string[], options: SpawnOptions & { label: string; cwd?: string }): TsProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines = { stdout: [] as string[], stderr: [] as string[] }
  const waiters = new Set<(stream: 'stdout' | 'stderr', line: string) => void>()
  const record = (stream: 'stdout' | 'stderr', input: NodeJS.ReadableStream, echo: NodeJS.WritableStream) => {
    const prefix = stream === 'stderr' ? (options.echoStderr ?? options.echo) : options.echo
    createInterface({ input }).on('line', (line) => {
      lines[stream].push(line)
      if (prefix !== undefined) echo.write(`${prefix}${line}\n`)
      if (stream === 'stderr') options.onStderrLine?.(line)
      else options.onStdoutLine?.(line)
      for (const waiter of [...waiters]) waiter(stream, line)
    })
  }
  record('stdout', child.stdout as NodeJS.ReadableStream, process.stdout)
  record('stderr', child.stderr as NodeJS.ReadableStream, process.stderr)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const stderr = () => lines.stderr.join('\n')
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  }

  const waitForLine = (pattern: RegExp, timeoutMs = 30_000, { stream = 'stdout', since = 0 }: WaitOptions = {}) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const seen = lines[stream]
        .slice(since)
        .map((line) => line.match(pattern))
        .find((match) => match !== null)
      if (seen) return resolve(seen)
      const done = () => {
        waiters.delete(onLine)
        clearTimeout(timer)
      }
      const onLine = (from: 'stdout' | 'stderr', line: string) => {
        const match = from === stream ? line.match(pattern) : null
        if (!match) return
        done()
        resolve(match)
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`${options.label}: no ${stream} line matching ${pattern} within ${timeoutMs} ms; stderr:\n${stderr()}`))
      }, timeoutMs)
      waiters.add(onLine)
      void exited.then(({ code, signal }) => {
        if (!waiters.has(onLine)) return
        done()
        reject(new Error(`${options.label} exited (${signal ?? code}) before printing ${pattern}; stderr:\n${stderr()}`))
      })
    })

  return {
    child,
    waitForLine,
    lineCount: (stream = 'stdout') => lines[stream].length,
    exited,
    stdout: () => lines.stdout.join('\n'),
    stderr,
    kill,
    stop: (graceMs = 5000) => {
      kill('SIGTERM')
      const timer = setTimeout(() => kill('SIGKILL'), graceMs)
      return exited.finally(() => clearTimeout(timer))
    },
  }
}

/** Starts the engine CLI as its own process and returns it with its address. Default: a free port. */
export async function spawnEngine(
  options: { echo?: string; port?: number; logLevel?: string } = {},
): Promise<{ engine: TsProcess; url: string; port: number }> {
  const engine = spawnTs(
    'lib/cli/main.ts',
    ['engine', '--port', String(options.port ?? 0), '--log-level', options.logLevel ?? 'warn'],
    options,
  )
  const [url, port] = await engine.waitForLine(/ws:\/\/[^\s]+:(\d+)/)
  return { engine, url, port: Number(port) }
}

/** The engine address a demo worker was given: the first argument, `$RX_CHANNELS_URL`, or the default port. */
export function engineUrlFromArgs(): string {
  return process.argv[2] ?? process.env.RX_CHANNELS_URL ?? 'ws://127.0.0.1:49134'
}
