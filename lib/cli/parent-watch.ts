/** How often a top-level CLI process checks that its parent is still there. */
const PARENT_CHECK_MS = 500

/**
 * Calls `onGone` once, when this process's parent has exited (the process was re-parented, so
 * `process.ppid` changed). A wrapper may die of a signal without passing it on: `npx` forwards
 * SIGTERM to the `sh -c` it runs the command in, and `sh` (dash) dies of it without passing it
 * to its own child, which would then run on as an orphan. Checked by polling, since Node has no
 * parent-death notice; the timer does not keep the process alive.
 */
export function whenParentExits(onGone: (parentPid: number) => void): void {
  const parentPid = process.ppid
  const timer = setInterval(() => {
    if (process.ppid === parentPid) return
    clearInterval(timer)
    onGone(parentPid)
  }, PARENT_CHECK_MS)
  timer.unref()
}
