// Ctrl-C must leave nothing behind: no temporary files, no worker processes.
const cleanups: Array<() => void | Promise<void>> = []
let interrupted: NodeJS.Signals | undefined

/**
 * Runs `cleanup` when the process gets SIGINT or SIGTERM, then dies of that signal as it would
 * have without a handler (so a shell or npm sees how it ended). Cleanups run once, newest first;
 * further signals during them are ignored, so a second Ctrl-C cannot cut them short.
 */
export function onInterrupt(cleanup: () => void | Promise<void>): void {
  if (cleanups.length === 0) {
    process.on('SIGINT', interrupt)
    process.on('SIGTERM', interrupt)
  }
  cleanups.unshift(cleanup)
}

/** The signal that is stopping this process, if one is. */
export function interruptedBy(): NodeJS.Signals | undefined {
  return interrupted
}

function interrupt(signal: NodeJS.Signals): void {
  if (interrupted) return
  interrupted = signal
  void runCleanups().finally(() => {
    process.removeListener('SIGINT', interrupt)
    process.removeListener('SIGTERM', interrupt)
    process.kill(process.pid, signal)
  })
}

async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups) {
    try {
      await cleanup()
    } catch (error) {
      console.error(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}
