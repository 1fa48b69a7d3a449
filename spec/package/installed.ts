import { expect } from 'chai'
import { execFile } from 'child_process'
import { build } from 'esbuild'
import { existsSync, readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { promisify } from 'util'
import { consumerApp, type ConsumerApp } from '../support/consumer-app'

const run = promisify(execFile)

describe('the packed package, installed in an app: files, entry points, command', () => {
  let app: ConsumerApp

  before(async function () {
    this.timeout(180_000)
    app = await consumerApp()
  })

  it("resolves 'rx-channels', 'rx-channels/engine' and 'rx-channels/package.json' to the built files", async () => {
    const script = [
      "const sdk = require('rx-channels')",
      "const engine = require('rx-channels/engine')",
      "const { version } = require('rx-channels/package.json')",
      'console.log(JSON.stringify([typeof sdk.registerWorker, typeof sdk.startEngine, typeof engine.startEngine, version, require.resolve("rx-channels")]))',
    ].join(';')
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: app.dir })
    const [registerWorker, startEngine, engineStart, version, resolved] = JSON.parse(stdout) as string[]
    expect([registerWorker, startEngine, engineStart]).to.deep.equal(['function', 'function', 'function'])
    expect(version).to.equal(packageJson(app).version)
    expect(path.relative(app.packageDir, resolved)).to.equal(path.join('dist', 'index.js'))
  })

  it("resolves 'rx-channels/browser' to an ES module that a bundler packs for the browser, and that loads", async () => {
    writeFileSync(path.join(app.dir, 'page-entry.mjs'), "import { registerWorker, ChannelError } from 'rx-channels/browser'\nconsole.log(typeof registerWorker, typeof ChannelError)\n")
    // A Node built-in anywhere in it would fail this build (platform browser).
    await build({ absWorkingDir: app.dir, entryPoints: ['page-entry.mjs'], bundle: true, platform: 'browser', format: 'esm', outfile: 'page.mjs', logLevel: 'silent' })
    const { stdout } = await run(process.execPath, ['page.mjs'], { cwd: app.dir })
    expect(stdout.trim()).to.equal('function function')
  })

  it('ships the rx-channels command', async () => {
    const { stdout } = await run(path.join(app.dir, 'node_modules', '.bin', 'rx-channels'), ['--help'])
    expect(stdout).to.match(/Usage: rx-channels engine/)
  })

  it('runs no script of its own at install (npm lists none for it)', () => {
    const scripts = Object.keys(packageJson(app).scripts ?? {})
    expect(scripts.filter((name) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(name))).to.deep.equal([])
    expect(app.installOutput).to.not.match(/rx-channels@/)
  })

  it('ships its license (Apache-2.0, full text) and changelog, and names its repository', () => {
    const manifest = packageJson(app)
    expect(manifest.license).to.equal('Apache-2.0')
    expect(readFileSync(path.join(app.packageDir, 'LICENSE'), 'utf8')).to.match(/Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/)
    expect(existsSync(path.join(app.packageDir, 'CHANGELOG.md'))).to.equal(true)
    expect(manifest.repository?.url).to.be.a('string')
  })
})

function packageJson(app: ConsumerApp): { version: string; license: string; scripts?: Record<string, string>; repository?: { url: string } } {
  return JSON.parse(readFileSync(path.join(app.packageDir, 'package.json'), 'utf8'))
}
