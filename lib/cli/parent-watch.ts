/** How often a top-level CLI process checks that its parent is still there. */
const PARENT_CHECK_MS = 500

/**
 * Under npm (`npx rx-channels`, an npm script), calls `onGone` once, when this process's parent
 * has exited (the process was re-parented, so `process.ppid` changed). npm forwards SIGTERM to
 * the `sh -c` it runs the command in, and `sh` (dash) dies of it without passing it to its own
 * child, which would then run on as an orphan. Started any other way, the process may outlive
 * its parent on purpose (`nohup rx-channels engine &`), so nothing is watched. Checked by
 * polling, since Node has no parent-death notice; the timer does not keep the process alive.
 */
export function whenParentExits(onGone: (parentPid: number) => void): void {
  // npm sets npm_command (exec, start, run-script, ...) for every command it runs.
  if (process.env.npm_command === undefined) return
  const parentPid = process.ppid
  const timer = setInterval(() => {
    if (process.ppid === parentPid) return
    clearInterval(timer)
    onGone(parentPid)
  }, PARENT_CHECK_MS)
  timer.unref()
}
