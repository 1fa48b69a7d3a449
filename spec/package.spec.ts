import { expect } from 'chai'
import { execFile } from 'child_process'
import path from 'path'
import { promisify } from 'util'

const run = promisify(execFile)
const ROOT = path.join(__dirname, '..')

describe('the built package', () => {
  before(async function () {
    this.timeout(120_000)
    await run('npm', ['run', 'build'], { cwd: ROOT })
  })

  it("resolves 'rx-channels' to the built SDK and engine", async () => {
    const script = [
      "const sdk = require('rx-channels')",
      "const engine = require('rx-channels/engine')",
      'console.log(JSON.stringify([typeof sdk.registerWorker, typeof sdk.startEngine, typeof engine.startEngine, require.resolve("rx-channels")]))',
    ].join(';')
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT })
    const [registerWorker, startEngine, engineStart, resolved] = JSON.parse(stdout) as string[]
    expect([registerWorker, startEngine, engineStart]).to.deep.equal(['function', 'function', 'function'])
    expect(path.relative(ROOT, resolved)).to.equal(path.join('dist', 'index.js'))
  })

  it('ships the rx-channels command', async () => {
    const bin = (require(path.join(ROOT, 'package.json')) as { bin: Record<string, string> }).bin['rx-channels']
    const { stdout } = await run(process.execPath, [path.join(ROOT, bin), '--help'])
    expect(stdout).to.match(/Usage: rx-channels engine/)
  })
})
