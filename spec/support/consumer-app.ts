import { execFile } from 'child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs'
import os from 'os'
import path from 'path'
import { promisify } from 'util'

const run = promisify(execFile)
const ROOT = path.join(__dirname, '..', '..')

/**
 * A scratch app, outside the repository, with the packed rx-channels installed as a newcomer
 * installs it, the README's examples in `readme/` and the type checks of spec/fixtures/consumer in `checks/`.
 */
export interface ConsumerApp {
  readonly dir: string
  /** What `npm install` printed (npm lists packages with install scripts here). */
  readonly installOutput: string
  /** The installed package's own directory. */
  readonly packageDir: string
}

let app: Promise<ConsumerApp> | undefined

/**
 * Packs this repository once per test run (`npm pack` builds through `prepack`) and installs
 * the tarball into a fresh app in a temp dir, with the packages the README tells a reader to
 * add (io-ts) or uses (iii-sdk), at the versions this repository has. Removed when the run exits.
 */
export function consumerApp(): Promise<ConsumerApp> {
  return (app ??= createConsumerApp())
}

async function createConsumerApp(): Promise<ConsumerApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rx-channels-consumer-'))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  const { stdout: packed } = await npm(['pack', '--pack-destination', dir], ROOT)
  const tarball = path.join(dir, packed.trim().split('\n').pop() as string)
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'commonjs' }))
  const extras = ['io-ts', 'iii-sdk'].map((name) => `${name}@${installedVersion(name)}`)
  const { stdout, stderr } = await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, ...extras], dir)
  cpSync(path.join(ROOT, 'demos', 'readme'), path.join(dir, 'readme'), { recursive: true })
  cpSync(path.join(ROOT, 'spec', 'fixtures', 'consumer'), path.join(dir, 'checks'), { recursive: true })
  return { dir, installOutput: stdout + stderr, packageDir: path.join(dir, 'node_modules', 'rx-channels') }
}

function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

/** Runs npm without the `npm_*` variables of an enclosing `npm test`, which would otherwise steer it back to this repository. */
function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')))
  return run('npm', args, { cwd, env, maxBuffer: 16 * 1024 * 1024 })
}

/** Runs the repository's own TypeScript compiler in the consumer app; resolves with its diagnostics, whatever the exit code. */
export async function tsc(dir: string, project: string): Promise<string> {
  const compiler = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  try {
    const { stdout } = await run(process.execPath, [compiler, '-p', project, '--pretty', 'false'], { cwd: dir })
    return stdout
  } catch (error) {
    const { stdout, code } = error as { stdout?: string; code?: unknown }
    if (typeof code !== 'number' || stdout === undefined) throw error
    return stdout
  }
}
