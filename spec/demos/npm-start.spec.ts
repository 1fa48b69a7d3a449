import { expect } from 'chai'
import { spawn } from 'child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'fs'
import { tmpdir } from 'os'
import path from 'path'
import { spawnTs } from '../../demos/support/processes'
import { requireRedisServer } from '../support/redis'

const ROOT = path.join(__dirname, '..', '..')
/** Times in the report vary; everything else is asserted as printed. */
const normalize = (output: string) => output.replace(/\d+\.\d s\b/g, 'N s').replace(/ws:\/\/127\.0\.0\.1:\d+/, 'ws://127.0.0.1:PORT')

/** Processes of process group `pgid` that are still running (zombies, already dead, excluded), from /proc. */
function liveInGroup(pgid: number): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      let stat: string
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      } catch {
        return [] // exited while we looked
      }
      // "pid (comm) state ppid pgrp ...": comm may hold spaces, so fields are counted after its ')'.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return Number(pgrp) === pgid && state !== 'Z' ? [`${pid} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`] : []
    })
}

/**
 * Resolves once no process of group `pgid` runs. esbuild-register's helper process outlives its
 * node process by the moment it takes to see its stdin close, and no event announces that.
 */
async function groupGone(pgid: number, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  let live = liveInGroup(pgid)
  while (live.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    live = liveInGroup(pgid)
  }
  return live
}

describe('npm start: the demo runner', () => {
  let scratch: string
  beforeEach(() => (scratch = mkdtempSync(path.join(tmpdir(), 'rx-channels-npm-start-spec-'))))
  afterEach(() => rmSync(scratch, { recursive: true, force: true }))

  it('reports each demo in a line under its title and ends with the pass count', async () => {
    const runner = spawnTs('demos/main.ts', ['one-way', 'bidirectional'], { env: { ...process.env, TMPDIR: scratch } })
    expect(await runner.exited).to.deep.equal({ code: 0, signal: null })
    expect(normalize(runner.stdout()).split('\n')).to.deep.equal([
      "rx-channels demos: an engine embedded in this process at ws://127.0.0.1:PORT, each demo's workers processes of their own",
      '',
      '[1/2] One-way channel: data.sender streams 1000 JSON records to data.processor',
      '      passed in N s: 1000 records summarized: sum 500500, average 500.5',
      '',
      '[2/2] Bidirectional channels: stream.coordinator sends text, stream.worker answers with progress and the result',
      '      passed in N s: 9 chunks (450 bytes) in; 9 progress messages, complete, 90 words back upper-cased',
      '',
      '2 of 2 demos passed in N s',
    ])
    expect(readdirSync(scratch)).to.deep.equal([])
  })

  it('counts a demo whose worker died as failed, runs the others, and exits with 1', async () => {
    const runner = spawnTs('demos/main.ts', ['--verbose', 'one-way', 'bidirectional'], { env: { ...process.env, TMPDIR: scratch } })
    const [, pid] = await runner.waitForLine(/^debug: started demos\/one-way\/processor\.ts \(pid (\d+)\)/, 30_000, { stream: 'stderr' })
    process.kill(Number(pid), 'SIGKILL')
    expect(await runner.exited).to.deep.equal({ code: 1, signal: null })
    const lines = normalize(runner.stdout()).split('\n')
    expect(lines[3]).to.equal('      FAILED after N s: demos/one-way/processor.ts exited (SIGKILL) before printing /^READY/; stderr:')
    expect(lines).to.include('      passed in N s: 9 chunks (450 bytes) in; 9 progress messages, complete, 90 words back upper-cased')
    expect(lines[lines.length - 1]).to.equal('1 of 2 demos passed in N s')
  })

  it('prints the browser demo page\'s address under its title', async () => {
    const runner = spawnTs('demos/main.ts', ['browser'], { env: { ...process.env, TMPDIR: scratch } })
    expect(await runner.exited).to.deep.equal({ code: 0, signal: null })
    const lines = normalize(runner.stdout()).split('\n')
    expect(lines[3]).to.match(/^ {6}open http:\/\/127\.0\.0\.1:\d+\/\?engine=ws%3A%2F%2F127\.0\.0\.1%3A\d+$/)
    expect(lines[4]).to.equal('      passed in N s: page served; its Node side checked: 32.0 MiB hashed intact with 33 progress messages, 32.0 MiB generated')
  })

  it('reports the cluster demo as not run, with how to get redis-server, where it is not on PATH, and does not count it as failed', async () => {
    // A PATH that finds node and nothing else.
    const bin = path.join(scratch, 'bin')
    mkdirSync(bin)
    symlinkSync(process.execPath, path.join(bin, 'node'))
    const runner = spawnTs('demos/main.ts', ['one-way', 'cluster'], { env: { ...process.env, PATH: bin, TMPDIR: scratch } })
    expect(await runner.exited).to.deep.equal({ code: 0, signal: null })
    const lines = normalize(runner.stdout()).split('\n')
    expect(lines.slice(-4)).to.deep.equal([
      '[2/2] Cluster: Redis and three engines of its own, calls and 64 MiB across nodes, then a node SIGKILLed',
      '      not run: redis-server not found on PATH; to run it: apt-get install redis-server',
      '',
      '1 of 1 demos passed in N s, 1 not run',
    ])
  })

  it('rejects an unknown demo name with the list of demos and exit code 2', async () => {
    const runner = spawnTs('demos/main.ts', ['one-way', 'no-such-demo'])
    expect(await runner.exited).to.deep.equal({ code: 2, signal: null })
    expect(runner.stderr()).to.equal('unknown demo no-such-demo; the demos are one-way, bidirectional, iii-sdk, pipeline, file-transfer, browser, cluster')
  })

  it('leaves no redis-server, engine or worker behind when SIGINT reaches npm mid cluster demo', async function () {
    requireRedisServer(this)
    const npm = spawn('npm', ['start', '--', 'cluster'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: scratch } })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })))
    let output = ''
    await new Promise<void>((resolve, reject) => {
      const onData = (data: Buffer) => {
        output += data.toString()
        // Its workers are up: Redis, three engines and four worker processes are running.
        if (/workers: writer and mover on b/.test(output)) resolve()
      }
      npm.stdout.on('data', onData)
      npm.stderr.on('data', onData)
      void exited.then(() => reject(new Error(`npm start exited before the cluster demo was under way:\n${output}`)))
    })
    expect(liveInGroup(npm.pid as number).some((entry) => /^\d+ redis-server/.test(entry))).to.equal(true)

    npm.kill('SIGINT')
    const { code, signal: killedBy } = await exited
    expect(killedBy ?? code).to.be.oneOf(['SIGINT', 130])
    expect(await groupGone(npm.pid as number)).to.deep.equal([])
    expect(readdirSync(scratch)).to.deep.equal([])
  })

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`leaves no temporary file and no process behind when ${signal} reaches npm mid-demo`, async () => {
      // Its own process group, so that every process it starts can be found afterwards.
      const npm = spawn('npm', ['start', '--', 'pipeline'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: scratch } })
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })))
      let output = ''
      await new Promise<void>((resolve, reject) => {
        const onData = (data: Buffer) => {
          output += data.toString()
          // The first quarter of the pipeline demo: its input file is written and the transfer under way.
          if (/progress +\d+%/.test(output)) resolve()
        }
        npm.stdout.on('data', onData)
        npm.stderr.on('data', onData)
        void exited.then(() => reject(new Error(`npm start exited before a demo was under way:\n${output}`)))
      })
      const [runnerFolder] = readdirSync(scratch)
      expect(readdirSync(path.join(scratch, runnerFolder), { recursive: true }).length).to.be.above(0)

      npm.kill(signal)
      const { code, signal: killedBy } = await exited
      expect(killedBy ?? code).to.be.oneOf([signal, signal === 'SIGINT' ? 130 : 143])
      expect(readdirSync(scratch)).to.deep.equal([])
      expect(await groupGone(npm.pid as number)).to.deep.equal([])
      expect(output).to.include('interrupted: stopping the demo processes and removing their files')
    })
  }
})
