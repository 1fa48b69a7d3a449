// Bundles the public entry points into dist/ and emits their type declarations.
const { build } = require('esbuild')
const { execFileSync } = require('child_process')
const path = require('path')

const root = path.join(__dirname, '..')

async function main() {
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
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
