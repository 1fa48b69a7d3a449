// Bundles the public entry points into dist/ and emits their type declarations into dist/types/.
// Declarations live apart from the bundles: next to dist/engine.js, a declaration's
// `export … from './engine'` would resolve to that untyped bundle under node16/nodenext/bundler.
const { build } = require('esbuild')
const { execFileSync } = require('child_process')
const { rmSync } = require('fs')
const path = require('path')
const { browserBundleOptions } = require('./browser-bundle')

const root = path.join(__dirname, '..')

async function main() {
  // A fresh dist/, so that files of an older layout are never packed.
  rmSync(path.join(root, 'dist'), { recursive: true, force: true })
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    packages: 'external',
    logLevel: 'warning',
    absWorkingDir: root,
  }
  await build({ ...common, entryPoints: { index: 'lib/index.ts', engine: 'lib/engine/index.ts' }, outdir: 'dist' })
  await build({ ...common, entryPoints: { cli: 'lib/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } })
  await build({ ...browserBundleOptions, outfile: 'dist/browser.mjs', logLevel: 'warning' })
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
