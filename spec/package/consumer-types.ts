import { expect } from 'chai'
import { readFileSync, writeFileSync } from 'fs'
import path from 'path'
import { consumerApp, tsc, type ConsumerApp } from '../support/consumer-app'

const MISUSE = path.join(__dirname, '..', 'fixtures', 'consumer', 'misuse.ts')

/**
 * The compiler settings of an app for each moduleResolution, with the package's own declarations
 * checked too. node10 apps set esModuleInterop (as `tsc --init` has for years; node16, nodenext
 * and bundler imply it): the declarations keep lib/'s `import WebSocket from 'ws'`.
 */
const RESOLUTIONS: Record<string, { module: string; moduleResolution: string; esModuleInterop?: boolean }> = {
  node10: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true },
  node16: { module: 'node16', moduleResolution: 'node16' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
}

/** `file:line TScode` for each error tsc printed; an error without a location is kept whole. */
function errorsIn(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.includes('error TS'))
    .map((line) => {
      const located = line.match(/^(.+?)\((\d+),\d+\): error (TS\d+)/)
      return located ? `${located[1]}:${located[2]} ${located[3]}` : line
    })
}

/** The errors misuse.ts announces, one per line that ends with `// error TSnnnn`. */
function announcedErrors(): string[] {
  return readFileSync(MISUSE, 'utf8')
    .split('\n')
    .flatMap((line, index) => {
      const announced = line.match(/\/\/ error (TS\d+)$/)
      return announced ? [`checks/misuse.ts:${index + 1} ${announced[1]}`] : []
    })
}

describe('the packed package, installed in an app: its types', () => {
  let app: ConsumerApp

  before(async function () {
    this.timeout(180_000)
    app = await consumerApp()
  })

  it('announces at least one misuse of startEngine and of registerWorker', () => {
    const announced = readFileSync(MISUSE, 'utf8')
    expect(announced).to.match(/= startEngine \/\/ error TS\d+$/m)
    expect(announced).to.match(/= registerWorker\(.*\/\/ error TS\d+$/m)
  })

  for (const [name, settings] of Object.entries(RESOLUTIONS)) {
    it(`types the entry points (rx-channels, /engine, /browser) under moduleResolution ${name}, its own declarations checked (skipLibCheck: false)`, async function () {
      this.timeout(120_000)
      const project = `tsconfig.${name}.json`
      const compilerOptions = { ...settings, target: 'es2022', strict: true, skipLibCheck: false, noEmit: true }
      writeFileSync(path.join(app.dir, project), JSON.stringify({ compilerOptions, files: ['checks/use.ts', 'checks/misuse.ts', 'checks/ref-type.ts'] }))
      const output = await tsc(app.dir, project)
      expect(errorsIn(output), output).to.deep.equal(announcedErrors())
    })
  }
})
