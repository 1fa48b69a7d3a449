import { registerWorker } from '../index'
import { silentLogger } from '../log'
import { takeSnapshot, type StatusSnapshot } from './status-snapshot'
import { renderStatus } from './status-view'

export interface StatusOptions {
  readonly url: string
  readonly token?: string
  /** Print one plain snapshot and exit, rather than a view refreshed each second. */
  readonly once: boolean
  /** Print one snapshot as JSON and exit, for scripts. */
  readonly json: boolean
}

const REFRESH_MS = 1_000
/** Clears the terminal and moves the cursor home, so that each refresh replaces the last. */
const CLEAR = '\x1b[2J\x1b[H'

/**
 * `rx-channels status`: connects to the engine as a worker (named "rx-channels status", so it
 * shows among the workers it lists) and shows what the engine functions list. Resolves when it
 * is done: after one snapshot with `once` or `json`, or when interrupted (SIGINT, SIGTERM).
 */
export async function runStatus(options: StatusOptions): Promise<void> {
  const client = registerWorker(options.url, {
    workerName: 'rx-channels status',
    token: options.token,
    logger: silentLogger,
    reconnect: { maxRetries: 3 },
  })
  try {
    await client.ready()
    if (options.json || options.once) {
      const snapshot = await takeSnapshot(client, options.url)
      process.stdout.write(options.json ? `${JSON.stringify(snapshot, null, 2)}\n` : renderStatus(snapshot))
      return
    }
    await refreshUntilInterrupted(async (previous) => {
      const snapshot = await takeSnapshot(client, options.url)
      process.stdout.write(CLEAR + renderStatus(snapshot, previous))
      return snapshot
    })
  } finally {
    await client.shutdown()
  }
}

/** Runs `refresh` now and a second after each run ends, until SIGINT or SIGTERM; a failed refresh ends it with its error. */
function refreshUntilInterrupted(refresh: (previous: StatusSnapshot | undefined) => Promise<StatusSnapshot>): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    let stopped = false
    const end = () => {
      stopped = true
      clearTimeout(timer)
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
    const stop = () => {
      end()
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    const run = (previous: StatusSnapshot | undefined) =>
      refresh(previous).then(
        (snapshot) => {
          if (!stopped) timer = setTimeout(() => run(snapshot), REFRESH_MS)
        },
        (error: unknown) => {
          end()
          reject(error)
        },
      )
    void run(undefined)
  })
}
