import { expect } from 'chai'
import { readdirSync, readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { spawnNode, type TsProcess } from '../../demos/support/processes'
import { consumerApp, tsc, type ConsumerApp } from '../support/consumer-app'

const ROOT = path.join(__dirname, '..', '..')
const EXAMPLES = path.join(ROOT, 'demos', 'readme')
/** Fence languages a README block may have: programs and fragments (kept as files), shell, plain text. */
const LANGUAGES = ['ts', 'js', 'sh', 'text']

interface Block {
  readonly language: string
  readonly line: number
  readonly text: string
}

/** The README's fenced code blocks, with the line each starts on. */
function readmeBlocks(): Block[] {
  const blocks: Block[] = []
  let open: { language: string; line: number; lines: string[] } | undefined
  readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    .split('\n')
    .forEach((line, index) => {
      const fence = line.match(/^```(\S*)$/)
      if (open && fence && fence[1] === '') {
        blocks.push({ language: open.language, line: open.line, text: open.lines.join('\n') + '\n' })
        open = undefined
      } else if (open) open.lines.push(line)
      else if (fence) open = { language: fence[1], line: index + 1, lines: [] }
    })
  return blocks
}

/** Every example file (relative to demos/readme), except declarations that only support fragments. */
function exampleFiles(): string[] {
  return readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|mts|js|mjs)$/.test(file) && !file.endsWith('.d.ts'))
    .sort()
}

/** Resolves with how the process ended; rejects if it is still running after `timeoutMs`. */
async function exitOf(child: TsProcess, what: string, timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still running after ${timeoutMs} ms; stdout:\n${child.stdout()}`)), timeoutMs)
  })
  try {
    return await Promise.race([child.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe('README code blocks', () => {
  it('are all marked ts, js, sh or text', () => {
    const unmarked = readmeBlocks().filter((block) => !LANGUAGES.includes(block.language))
    expect(unmarked.map((block) => `README.md:${block.line} \`\`\`${block.language}`)).to.deep.equal([])
  })

  it('show each ts and js block exactly as a file of demos/readme, and every such file', () => {
    const files = new Map(exampleFiles().map((file) => [readFileSync(path.join(EXAMPLES, file), 'utf8'), file]))
    const code = readmeBlocks().filter((block) => block.language === 'ts' || block.language === 'js')
    const unmatched = code.filter((block) => !files.has(block.text)).map((block) => `README.md:${block.line} matches no file of demos/readme`)
    expect(unmatched).to.deep.equal([])
    const shown = new Set(code.map((block) => files.get(block.text)))
    expect(exampleFiles().filter((file) => !shown.has(file))).to.deep.equal([])
  })

  it('run only npm scripts and commands that the package has', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: object; bin: object }
    const shell = readmeBlocks()
      .filter((block) => block.language === 'sh')
      .map((block) => block.text)
      .join('\n')
    for (const [, script] of shell.matchAll(/npm run (\S+)/g)) expect(manifest.scripts).to.have.property(script)
    for (const [, command] of shell.matchAll(/npx (\S+)/g)) expect(manifest.bin).to.have.property(command)
  })

  describe('run as programs of an app that installed the packed package', () => {
    let app: ConsumerApp
    let engine: TsProcess
    let env: NodeJS.ProcessEnv

    before(async function () {
      this.timeout(180_000)
      app = await consumerApp()
      // The examples as an app compiles them: nodenext, in a CommonJS package (what `npm init -y` makes).
      const compilerOptions = { module: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, outDir: 'build', rootDir: '.' }
      writeFileSync(path.join(app.dir, 'tsconfig.readme.json'), JSON.stringify({ compilerOptions, include: ['readme/**/*.ts', 'readme/**/*.mts'] }))
      const output = await tsc(app.dir, 'tsconfig.readme.json')
      expect(output, 'tsc over the README examples').to.equal('')
      // `npx rx-channels engine`, as the README says, on a free port.
      engine = spawnNode([path.join(app.packageDir, 'dist', 'cli.js'), 'engine', '--port', '0', '--log-level', 'warn'], { label: 'rx-channels engine', cwd: app.dir })
      const [, url] = await engine.waitForLine(/(ws:\/\/\S+)/)
      env = { ...process.env, RX_CHANNELS_URL: url }
    })

    after(async () => {
      engine?.kill()
      if (engine) await engine.exited
    })

    const caller = readFileSync(path.join(EXAMPLES, 'taste', 'caller.ts'), 'utf8')
    const printed = (caller.match(/console\.log\(summary\) \/\/ (.+)$/m) as RegExpMatchArray)[1]

    const tastes: Array<[string, string, string]> = [
      ['TypeScript, compiled to CommonJS', 'build/readme/taste/callee.js', 'build/readme/taste/caller.js'],
      ['JavaScript, CommonJS', 'readme/taste/callee.js', 'readme/taste/caller.js'],
      ['JavaScript, ES module', 'readme/taste/callee.mjs', 'readme/taste/caller.mjs'],
    ]
    for (const [form, calleeFile, callerFile] of tastes) {
      // Each form's callee registers data.processor on the same engine right after the previous
      // one left: it can only if the previous one left cleanly on Ctrl-C (no reserved id).
      it(`"A taste" (${form}): the callee says when it is ready, the caller prints the summary and exits by itself, the callee leaves on Ctrl-C`, async function () {
        this.timeout(60_000)
        const callee = spawnNode([calleeFile], { label: calleeFile, cwd: app.dir, env })
        try {
          await callee.waitForLine(/^data\.processor is ready$/)
          const callerProcess = spawnNode([callerFile], { label: callerFile, cwd: app.dir, env })
          expect(await exitOf(callerProcess, `${callerFile} (a worker keeps its process alive until shutdown())`), callerProcess.stderr()).to.deep.equal({
            code: 0,
            signal: null,
          })
          expect(callerProcess.stdout()).to.equal(printed)
          callee.kill('SIGINT')
          expect(await exitOf(callee, `${calleeFile} after SIGINT`), callee.stderr()).to.deep.equal({ code: 0, signal: null })
        } finally {
          callee.kill()
          await callee.exited
        }
      })
    }

    it('"The engine", in-process: starts an engine on a free port, prints its address and stats, closes it and exits', async function () {
      this.timeout(60_000)
      const program = spawnNode(['build/readme/engine-in-process.mjs'], { label: 'engine-in-process.mjs', cwd: app.dir })
      expect(await exitOf(program, 'engine-in-process.mjs'), program.stderr()).to.deep.equal({ code: 0, signal: null })
      expect(program.stdout()).to.match(/^ws:\/\/127\.0\.0\.1:\d+ \{\s+workers: 0,/)
    })
  })
})
