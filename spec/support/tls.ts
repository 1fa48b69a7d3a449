import { execFileSync } from 'child_process'
import fs from 'fs'
import os from 'os'
import path from 'path'
import { silentLogger, startEngine, type Engine, type EngineOptions } from '../../lib'

export interface SelfSigned {
  readonly dir: string
  readonly certFile: string
  readonly keyFile: string
  readonly cert: string
  readonly key: string
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI in a temp dir. */
export function selfSignedCertificate(): SelfSigned {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-channels-tls-'))
  const certFile = path.join(dir, 'cert.pem')
  const keyFile = path.join(dir, 'key.pem')
  // An EC key: generated in milliseconds, where RSA takes noticeably longer.
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  )
  return { dir, certFile, keyFile, cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') }
}

/**
 * A certificate made once for the enclosing suite (and removed after it), and an engine serving
 * wss:// with it, started afresh for each test with `options`.
 */
export function useTlsEngine(options: EngineOptions = {}): { readonly engine: Engine; readonly certificate: SelfSigned } {
  const context = {} as { engine: Engine; certificate: SelfSigned }
  before(() => {
    context.certificate = selfSignedCertificate()
  })
  after(() => {
    fs.rmSync(context.certificate.dir, { recursive: true, force: true })
  })
  beforeEach(async () => {
    const { cert, key } = context.certificate
    context.engine = await startEngine({ port: 0, logger: silentLogger, ...options, tls: { cert, key } })
  })
  afterEach(async () => {
    await context.engine.close()
  })
  return context
}
