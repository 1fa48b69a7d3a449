import { spawn } from 'child_process'
import { whenParentExits } from './parent-watch'

/**
 * V8 flags for an engine process. V8 counts off-heap memory allocated since the last full GC
 * against the old generation's budget, and a relay allocates a fresh 64 KiB buffer per socket
 * read. An engine's heap is small (about 9 MB), so its budget is a few tens of MB, the
 * buffers of a few hundred frames exhaust it, and V8 runs a full mark-compact every ~20 MiB
 * relayed: about 50 per GiB. A 64 MB floor under the budget leaves room for the scavenges,
 * which free those buffers cheaply; measured on 1 GiB through the engine, its CPU time fell
 * from about 2.2 s to 1.3 s. The floor is a budget, not a reservation: the price is that up
 * to 64 MB of old garbage may wait for a full GC.
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64']

/** Whether this process was started with its own old-space floor (ours or the user's). */
export function hasHeapFloor(): boolean {
  return process.execArgv.some((flag) => flag.startsWith('--initial-old-space-size'))
}

/**
 * Runs this same command again in a child Node process started with {@link ENGINE_NODE_FLAGS},
 * since V8 sizes its heap at start-up and `NODE_OPTIONS` may not carry these flags. The child
 * shares stdio; SIGINT and SIGTERM are passed on; this process ends as the child does. The
 * child leaves as soon as this process is gone (see {@link exitWithLauncher}), so killing the
 * launcher, even with SIGKILL, kills the engine. If this process's own parent exits (e.g. a
 * wrapper killed by a signal it did not pass on), the engine is stopped as on SIGTERM.
 */
export function relaunchWithHeapFloor(): void {
  const child = spawn(process.execPath, [...ENGINE_NODE_FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  })
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal)
  const signals = ['SIGINT', 'SIGTERM'] as const
  for (const signal of signals) process.on(signal, forward(signal))
  whenParentExits((parentPid) => {
    process.stderr.write(`rx-channels: parent process ${parentPid} exited; stopping the engine\n`)
    child.kill('SIGTERM')
  })
  child.once('error', (error) => {
    process.stderr.write(`rx-channels: cannot start the engine process: ${error.message}\n`)
    process.exit(1)
  })
  child.once('exit', (code, signal) => {
    if (code !== null) process.exit(code)
    for (const name of signals) process.removeAllListeners(name)
    process.kill(process.pid, signal ?? 'SIGTERM')
  })
}

/** In a relaunched engine: exit at once when the launcher is gone, as the engine would have died with it. */
export function exitWithLauncher(): void {
  if (!process.connected) return
  process.once('disconnect', () => process.exit(1))
}
