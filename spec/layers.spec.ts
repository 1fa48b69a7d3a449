import { expect } from 'chai'
import { build } from 'esbuild'
import fs from 'fs'
import { builtinModules } from 'module'
import path from 'path'
// The build's own options for rx-channels/browser (a plain JS module shared with scripts/build.js).
const { browserBundleOptions } = require('../scripts/browser-bundle') as { browserBundleOptions: object }

const LIB = path.join(__dirname, '..', 'lib')

/** One import or re-export in a file of lib/. Paths are relative to lib/, with forward slashes. */
interface LibImport {
  readonly file: string
  readonly specifier: string
  /** The imported file, or undefined for packages and files outside lib/. */
  readonly target: string | undefined
}

/** An import that lands in lib/. */
type LibEdge = LibImport & { readonly target: string }

// `from '...'` covers imports and re-exports (type-only ones too, and across lines);
// `import('...')` covers dynamic imports and inline type imports; `import '...'` side-effect imports.
const SPECIFIER = /\bfrom\s*(['"])([^'"]+)\1|\bimport\s*\(\s*(['"])([^'"]+)\3\s*\)|\bimport\s*(['"])([^'"]+)\5/g

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
}

const toLibPath = (absolute: string) => path.relative(LIB, absolute).split(path.sep).join('/')

/** Resolves a relative specifier as TypeScript does for this project: `x.ts`, then `x/index.ts`, then `x` itself. */
function resolveTarget(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  const base = path.resolve(LIB, path.dirname(file), specifier)
  const resolved = [`${base}.ts`, path.join(base, 'index.ts'), base].find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile())
  const relative = toLibPath(resolved ?? base)
  return relative.startsWith('../') ? undefined : relative
}

function scanLib(): LibImport[] {
  return sourceFiles(LIB).flatMap((absolute) => {
    const file = toLibPath(absolute)
    const source = fs.readFileSync(absolute, 'utf8')
    return [...source.matchAll(SPECIFIER)].map((match) => {
      const specifier = match[2] ?? match[4] ?? match[6]
      return { file, specifier, target: resolveTarget(file, specifier) }
    })
  })
}

/** The top folder of a lib/ path, or the name of a top-level file without `.ts` (`errors`, `log`, `index`). */
const areaOf = (libPath: string) => libPath.split('/')[0].replace(/\.ts$/, '')

const only =
  (from: string, allowed: readonly string[]) =>
  (edge: LibEdge): boolean =>
    areaOf(edge.file) === from && !allowed.includes(areaOf(edge.target))

const never =
  (from: string, forbidden: readonly string[]) =>
  (edge: LibEdge): boolean =>
    areaOf(edge.file) === from && forbidden.includes(areaOf(edge.target))

interface Rule {
  readonly title: string
  readonly breaks: (edge: LibEdge) => boolean
  /** An import that would break the rule, to show the rule is not vacuous. */
  readonly counterexample: LibEdge
}

const RULES: readonly Rule[] = [
  {
    title: 'lib/protocol imports nothing from other lib folders',
    breaks: only('protocol', ['protocol']),
    counterexample: { file: 'protocol/decode.ts', specifier: '../log', target: 'log.ts' },
  },
  {
    title: 'lib/flow imports only lib/errors',
    breaks: only('flow', ['flow', 'errors']),
    counterexample: { file: 'flow/sink.ts', specifier: '../protocol/refs', target: 'protocol/refs.ts' },
  },
  {
    title: 'lib/socket imports only lib/protocol, lib/flow, lib/errors and lib/log',
    breaks: only('socket', ['socket', 'protocol', 'flow', 'errors', 'log']),
    counterexample: { file: 'socket/connect.ts', specifier: '../channel/close-error', target: 'channel/close-error.ts' },
  },
  {
    title: 'lib/engine never imports lib/sdk, lib/channel, lib/node, lib/web or lib/operators',
    breaks: never('engine', ['sdk', 'channel', 'node', 'web', 'operators']),
    counterexample: { file: 'engine/channels.ts', specifier: '../node/readable', target: 'node/readable.ts' },
  },
  {
    title: 'lib/channel never imports lib/engine, lib/sdk, lib/node or lib/web, so the channel core runs without Node streams',
    breaks: never('channel', ['engine', 'sdk', 'node', 'web']),
    counterexample: { file: 'channel/reader.ts', specifier: '../node/readable', target: 'node/readable.ts' },
  },
  {
    title: 'lib/node imports only lib/flow and lib/errors, besides channel-ends.ts (the channel ends with their Node streams) and ws-transport.ts (sockets of ws)',
    breaks: (edge) =>
      areaOf(edge.file) === 'node' &&
      !['node', 'flow', 'errors'].includes(areaOf(edge.target)) &&
      !(edge.file === 'node/channel-ends.ts' && ['channel', 'protocol'].includes(areaOf(edge.target))) &&
      !(edge.file === 'node/ws-transport.ts' && ['socket'].includes(areaOf(edge.target))),
    counterexample: { file: 'node/writable.ts', specifier: '../channel/writer', target: 'channel/writer.ts' },
  },
  {
    title: 'lib/web imports only lib/flow and lib/errors',
    breaks: only('web', ['web', 'flow', 'errors']),
    counterexample: { file: 'web/readable-stream.ts', specifier: '../channel/reader', target: 'channel/reader.ts' },
  },
  {
    title: 'lib/operators imports only lib/protocol and lib/errors',
    breaks: only('operators', ['operators', 'protocol', 'errors']),
    counterexample: { file: 'operators/rechunk.ts', specifier: '../channel/writer', target: 'channel/writer.ts' },
  },
  {
    title: 'lib/errors.ts imports nothing from lib, so every layer may use its coded errors',
    breaks: only('errors', []),
    counterexample: { file: 'errors.ts', specifier: './log', target: 'log.ts' },
  },
  {
    title: 'lib/log.ts imports nothing from lib, so every layer may log through it',
    breaks: only('log', []),
    counterexample: { file: 'log.ts', specifier: './errors', target: 'errors.ts' },
  },
  {
    title: 'lib/cli imports only lib/engine (through its index), the SDK (through lib/index.ts, as any client), lib/protocol, lib/log and lib/errors',
    breaks: (edge) =>
      areaOf(edge.file) === 'cli' &&
      !(['cli', 'protocol', 'log', 'errors'].includes(areaOf(edge.target)) || edge.target === 'engine/index.ts' || edge.target === 'index.ts'),
    counterexample: { file: 'cli/main.ts', specifier: '../engine/limits', target: 'engine/limits.ts' },
  },
  {
    title: 'nothing in lib imports lib/cli: it is the command line, on top of everything',
    breaks: (edge) => areaOf(edge.target) === 'cli' && areaOf(edge.file) !== 'cli',
    counterexample: { file: 'engine/engine.ts', specifier: '../cli/heap-floor', target: 'cli/heap-floor.ts' },
  },
  {
    title: 'lib/browser never imports lib/node, lib/engine or lib/cli: the page has no Node',
    breaks: never('browser', ['node', 'engine', 'cli']),
    counterexample: { file: 'browser/worker.ts', specifier: '../node/ws-transport', target: 'node/ws-transport.ts' },
  },
  {
    title: 'nothing outside lib/browser imports it: it is an entry point at the edge',
    breaks: (edge) => areaOf(edge.target) === 'browser' && areaOf(edge.file) !== 'browser',
    counterexample: { file: 'sdk/worker.ts', specifier: '../browser/channel-ends', target: 'browser/channel-ends.ts' },
  },
  {
    title: 'lib/sdk never imports lib/engine',
    breaks: never('sdk', ['engine']),
    counterexample: { file: 'sdk/worker.ts', specifier: '../engine/events', target: 'engine/events.ts' },
  },
  {
    title: 'only lib/index.ts and lib/cli import lib/engine/index.ts from outside lib/engine',
    breaks: (edge) => edge.target === 'engine/index.ts' && !['engine', 'index', 'cli'].includes(areaOf(edge.file)),
    counterexample: { file: 'socket/frames.ts', specifier: '../engine', target: 'engine/index.ts' },
  },
]

/** Each import that breaks `rule`, as `lib/FILE imports 'SPECIFIER' (lib/TARGET)`. */
function violations(rule: Rule, imports: readonly LibImport[]): string[] {
  return imports
    .filter((edge): edge is LibEdge => edge.target !== undefined)
    .filter(rule.breaks)
    .map((edge) => `lib/${edge.file} imports '${edge.specifier}' (lib/${edge.target})`)
}

describe('lib/ layering', () => {
  let imports: LibImport[] = []
  before(() => {
    imports = scanLib()
  })

  // Guards against a scanner that finds or resolves nothing, which would make every rule pass.
  it('the scanner sees directory, type-only and multi-line imports and resolves them to files', () => {
    expect(imports).to.deep.include({ file: 'cli/main.ts', specifier: '../engine', target: 'engine/index.ts' })
    expect(imports).to.deep.include({ file: 'index.ts', specifier: './engine', target: 'engine/index.ts' })
    expect(imports).to.deep.include({ file: 'node/readable.ts', specifier: '../flow/flow', target: 'flow/flow.ts' })
    expect(imports.filter((edge) => edge.file === 'index.ts' && edge.specifier === './sdk/worker')).to.have.length(2)
    expect(imports).to.deep.include({ file: 'socket/connect.ts', specifier: 'http', target: undefined })
  })

  for (const rule of RULES) {
    it(rule.title, () => {
      expect(violations(rule, imports)).to.deep.equal([])
    })
  }

  describe('each rule reports an import that breaks it, with file and specifier', () => {
    for (const rule of RULES) {
      const { file, specifier, target } = rule.counterexample
      it(`${rule.title}: flags lib/${file} importing '${specifier}'`, () => {
        expect(violations(rule, [rule.counterexample])).to.deep.equal([`lib/${file} imports '${specifier}' (lib/${target})`])
      })
    }
  })
})

describe('rx-channels/browser', () => {
  // esbuild fails on a Node built-in on platform 'browser'; the plugin names each one, node: or bare.
  it('bundles for the browser without any Node built-in or ws', async () => {
    const nodeImports: string[] = []
    const builtins = new Set(builtinModules)
    const result = await build({
      ...browserBundleOptions,
      write: false,
      outdir: 'unused',
      metafile: true,
      plugins: [
        {
          name: 'no-node-builtins',
          setup(bundle) {
            bundle.onResolve({ filter: /.*/ }, ({ path: specifier, importer }) => {
              if (specifier.startsWith('node:') || builtins.has(specifier.split('/')[0])) nodeImports.push(`${path.relative(LIB, importer)} imports '${specifier}'`)
              return undefined
            })
          },
        },
      ],
    })
    expect(nodeImports).to.deep.equal([])
    expect(result.errors).to.deep.equal([])
    const packages = Object.keys(result.metafile.inputs).filter((input) => input.includes('node_modules/ws/'))
    expect(packages).to.deep.equal([])
    expect(Object.keys(result.metafile.inputs)).to.include('lib/browser/index.ts')
  })
})
