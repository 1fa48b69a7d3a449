// Browser demo, callee: a Node worker with `files.hash` and `files.generate`, and the page that
// calls them, served on loopback. Prints `READY ... page at URL`: open that address in a browser.
import { registerWorker } from '../../lib'
import { engineUrlFromArgs } from '../support/processes'
import { registerDemoFunctions, serveDemoPage } from './site'

async function main(): Promise<void> {
  const engineUrl = engineUrlFromArgs()
  const worker = registerWorker(engineUrl, { workerName: 'browser-demo' })
  registerDemoFunctions(worker)
  const site = await serveDemoPage(engineUrl)
  await worker.ready()
  console.log(`READY files.hash files.generate; page at ${site.url}`)
  process.once('SIGTERM', () => void Promise.all([worker.shutdown(), site.close()]))
}

void main()
