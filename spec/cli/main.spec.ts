import { expect } from 'chai'
import { spawn, type ChildProcess } from 'child_process'
import path from 'path'
import WebSocket from 'ws'

const ROOT = path.join(__dirname, '..', '..')
const CLI = 'lib/cli/main.ts'

interface CliRun {
  readonly child: ChildProcess
  /** Resolves with the first complete stdout line; rejects if the process ends without one. */
  readonly firstLine: Promise<string>
  /** Resolves once the process exited and its stdout and stderr are fully read. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
}

const running = new Set<ChildProcess>()

/** Runs the CLI from source as its own OS process, as `rx-channels ...args` would. */
function runCli(...args: string[]): CliRun {
  const child = spawn(process.execPath, ['-r', 'esbuild-register', CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
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
  return { child, firstLine, ended }
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

describe('rx-channels CLI (lib/cli/main.ts as a process)', function () {
  // Each case starts a Node process that compiles TypeScript on the fly.
  this.timeout(30_000)

  afterEach(() => {
    for (const child of running) child.kill('SIGKILL')
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

  it('an unknown command exits 2 and names it on stderr, followed by the usage', async () => {
    const { code, stdout, stderr } = await runCli('serve').ended
    expect(code).to.equal(2)
    expect(stdout).to.equal('')
    expect(stderr).to.match(/^rx-channels: unknown command "serve"\n/)
    expect(stderr).to.include('Usage: rx-channels engine [options]')
  })

  it('no command at all exits 2 with "missing command"', async () => {
    const { code, stderr } = await runCli().ended
    expect(code).to.equal(2)
    expect(stderr).to.match(/^rx-channels: missing command\n/)
  })
})
