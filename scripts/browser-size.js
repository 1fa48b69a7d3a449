// Prints the size of rx-channels/browser as a page loads it: minified, and gzipped (zlib, level 9).
const { build } = require('esbuild')
const { gzipSync } = require('zlib')
const { browserBundleOptions } = require('./browser-bundle')

async function main() {
  const result = await build({ ...browserBundleOptions, sourcemap: false, write: false, outdir: 'unused' })
  const bundle = result.outputFiles[0].contents
  const gzipped = gzipSync(bundle, { level: 9 })
  const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
  console.log(`rx-channels/browser: ${kib(bundle.length)} minified, ${kib(gzipped.length)} gzipped (rxjs, fp-ts and io-ts included)`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
