// `npm start`: an embedded engine, and each demo as worker processes of their own.
import { startEngine } from '../lib'
import { spawnTs } from './support/processes'

interface Demo {
  readonly title: string
  readonly callee: string
  readonly caller: string
  readonly callerArgs?: readonly string[]
  /** Pass the caller's stderr through, where it draws its progress. */
  readonly showProgress?: boolean
}

const DEMOS: readonly Demo[] = [
  { title: 'One-way channel: data.sender -> data.processor', callee: 'demos/one-way/processor.ts', caller: 'demos/one-way/sender.ts' },
  {
    title: 'Bidirectional channels with progress: stream.coordinator <-> stream.worker',
    callee: 'demos/bidirectional/worker.ts',
    caller: 'demos/bidirectional/coordinator.ts',
  },
  {
    title: 'The same bidirectional example with official iii-sdk workers, unchanged, on this engine',
    callee: 'demos/iii-sdk/bidirectional-worker.ts',
    caller: 'demos/iii-sdk/bidirectional-coordinator.ts',
  },
  {
    title: 'RxJS pipeline: file -> channel -> transform (another process) -> channel -> file, progress from messages',
    callee: 'demos/pipeline/transformer.ts',
    caller: 'demos/pipeline/run.ts',
    callerArgs: ['--size', '32'],
    showProgress: true,
  },
  {
    title: 'File transfer: 256 MiB of random bytes through one channel',
    callee: 'demos/file-transfer/receiver.ts',
    caller: 'demos/file-transfer/sender.ts',
    callerArgs: ['--size', '256'],
  },
]

async function runDemo(url: string, demo: Demo): Promise<void> {
  console.log(`\n== ${demo.title}`)
  const callee = spawnTs(demo.callee, [url])
  try {
    await callee.waitForLine(/^READY/)
    const caller = spawnTs(demo.caller, [url, ...(demo.callerArgs ?? [])], demo.showProgress ? { echoStderr: '  ' } : {})
    const [, result] = await caller.waitForLine(/^RESULT (.*)$/, 5 * 60_000)
    console.log(JSON.stringify(JSON.parse(result), null, 2))
    await caller.exited
  } finally {
    callee.kill()
    await callee.exited
  }
}

async function main(): Promise<void> {
  const engine = await startEngine({ port: 0 })
  console.log(`rx-channels engine listening on ${engine.url} (embedded); each demo runs its workers as separate processes`)
  try {
    for (const demo of DEMOS) await runDemo(engine.url, demo)
  } finally {
    await engine.close()
  }
}

main().catch((error: Error) => {
  console.error(error)
  process.exit(1)
})
