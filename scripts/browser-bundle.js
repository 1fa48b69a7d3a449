// The esbuild options of rx-channels/browser, shared by the build, the specs that serve it to
// Chromium and the size measurement: one ES module for the page, with its dependencies inside
// (rxjs, fp-ts, io-ts), and with nothing of Node (esbuild fails on a Node built-in on this platform).
const path = require('path')

const root = path.join(__dirname, '..')

const browserBundleOptions = {
  absWorkingDir: root,
  entryPoints: ['lib/browser/index.ts'],
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  logLevel: 'silent',
}

module.exports = { browserBundleOptions }
