import { expect } from 'chai'
import { spawn, type ChildProcess } from 'child_process'
import path from 'path'
import WebSocket from 'ws'
import type { StatusSnapshot } from '../../lib/cli/status-snapshot'
import { channelUrl } from '../../lib/protocol/channel-url'
import { CREDIT_SUBPROTOCOL } from '../../lib/protocol/credit'
import type { CreatedChannel } from '../../lib/protocol/engine-functions'
import { nextEvent, openRaw, rawWorker, registered, sendJson, useEngine, type RawWorker } from '../support/engine'

const ROOT = path.join(__dirname, '..', '..')
const running = new Set<ChildProcess>()

/** Runs `rx-channels status ...args` from source as its own process, to its end. */
function status(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { RX_CHANNELS_TOKEN: _inherited, ...env } = process.env
  const child = spawn(process.execPath, ['-r', 'esbuild-register', 'lib/cli/main.ts', 'status', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text))
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  return new Promise((resolve) =>
    child.once('close', (code) => {
      running.delete(child)
      resolve({ code, stdout, stderr })
    }),
  )
}

async function call(worker: RawWorker, functionId: string, data: unknown): Promise<unknown> {
  sendJson(worker.ws, { type: 'invokefunction', invocation_id: `${functionId}-${Math.random()}`, function_id: functionId, data })
  return (await worker.next('invocationresult')).result
}

/**
 * Known traffic: a worker named "maker" holding function "echo" creates a channel of 2 frames
 * whose credit-mode reader grants nothing, and writes 2 frames of 100 bytes: both are held and
 * the writer is paused.
 */
async function knownTraffic(context: { url: string; engine: Parameters<typeof nextEvent>[0] }, options?: WebSocket.ClientOptions): Promise<CreatedChannel> {
  const maker = await rawWorker(context.url, options)
  await call(maker, 'engine::workers::register', { name: 'maker' })
  await registered(maker, 'echo')
  const channel = (await call(maker, 'engine::channels::create', { buffer_size: 2 })) as CreatedChannel
  const reader = new WebSocket(channelUrl(context.url, channel.reader), [CREDIT_SUBPROTOCOL])
  await new Promise((resolve) => reader.once('open', resolve))
  const writer = await openRaw(channelUrl(context.url, channel.writer))
  const paused = nextEvent(context.engine, 'writer_paused')
  writer.ws.send(Buffer.alloc(100), { binary: true })
  writer.ws.send(Buffer.alloc(100), { binary: true })
  await paused
  return channel
}

describe('rx-channels status (lib/cli/status.ts as a process)', function () {
  // Each case starts a Node process that compiles TypeScript on the fly.
  this.timeout(30_000)
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL')
  })

  describe('an engine without a token', () => {
    const context = useEngine()

    it('--json prints one snapshot of workers, functions and channels after known traffic, and exits 0', async () => {
      const channel = await knownTraffic(context)
      const { code, stdout, stderr } = await status(context.url, '--json')
      expect(stderr).to.equal('')
      expect(code).to.equal(0)
      const snapshot = JSON.parse(stdout) as StatusSnapshot
      expect(snapshot.engine).to.equal(context.url)
      // The status command is a worker too, and shows itself.
      expect(snapshot.totals).to.deep.equal({ workers: 2, functions: 1, channels: 1, held_frames: 2, held_bytes: 200, paused_writers: 1 })
      expect(snapshot.workers.map((worker) => worker.name).sort()).to.deep.equal(['maker', 'rx-channels status'])
      expect(snapshot.workers.find((worker) => worker.name === 'maker')).to.include({ functions: 1 })
      expect(snapshot.channels).to.have.length(1)
      expect(snapshot.channels[0]).to.deep.include({ channel_id: channel.writer.channel_id, state: 'open', frames_in: 2, bytes_in: 200, bytes_out: 0, writer_paused: true })
      expect(stdout).not.to.contain(channel.writer.access_key)
    })

    it('--once prints the totals and the WORKERS and CHANNELS tables, and exits 0', async () => {
      await knownTraffic(context)
      const { code, stdout } = await status(context.url, '--once')
      expect(code).to.equal(0)
      const lines = stdout.split('\n')
      expect(lines[0]).to.equal(`rx-channels engine ${context.url} at ${lines[0].split(' at ')[1]}`)
      expect(lines[1]).to.equal('workers 2  functions 1  channels 1  held 2 frames (200 B)  paused writers 1')
      expect(lines).to.include('WORKERS')
      expect(lines).to.include('CHANNELS')
      expect(stdout).to.match(/ID +STATE +IN\/S +OUT\/S +IN +OUT +HELD +WRITER +PAUSED FOR +OWNER +AGE/)
      expect(stdout).to.match(/open +\S+ B +\S+ B +200 B +0 B +2 \(200 B\) +paused +\S+ m?s +maker/)
    })

    it('refuses an engine flag, and a missing URL, with exit code 2', async () => {
      const misplaced = await status(context.url, '--port', '1')
      expect(misplaced.code).to.equal(2)
      expect(misplaced.stderr).to.contain('--port is an option of rx-channels engine, not of status')
      const missing = await status()
      expect(missing.code).to.equal(2)
      expect(missing.stderr).to.contain('status needs the engine URL')
    })
  })

  describe('an engine with a token', () => {
    const TOKEN = 'status-secret'
    const context = useEngine({ token: TOKEN })

    it('fails without the token (exit 1, unauthorized) and shows the engine with it', async () => {
      const refused = await status(context.url, '--json')
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.match(/^rx-channels: .*401/)
      const shown = await status(context.url, '--json', '--token', TOKEN)
      expect(shown.code).to.equal(0)
      expect((JSON.parse(shown.stdout) as StatusSnapshot).totals.workers).to.equal(1)
    })
  })
})
