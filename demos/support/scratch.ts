import { mkdtempSync, rmSync } from 'fs'
import { tmpdir } from 'os'
import path from 'path'
import { onInterrupt } from './interrupt'

/**
 * A new folder in the temporary directory, removed however the process ends: normally, by an
 * uncaught error (both end in `process.exit`), or by SIGINT/SIGTERM.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  const remove = () => rmSync(dir, { recursive: true, force: true })
  process.once('exit', remove)
  onInterrupt(remove)
  return dir
}
