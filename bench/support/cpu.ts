import { readFileSync } from 'fs'

/** This process's CPU time (user + system) in seconds since it started. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}

/**
 * Another process's CPU time (user + system) in seconds, from /proc; undefined where there is
 * no /proc (the bench then leaves that figure out rather than guess it).
 */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    // Fields after the command name, which may itself hold spaces; utime and stime are the 12th and 13th of them.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
  } catch {
    return undefined
  }
}

/** The kernel's clock ticks per second for /proc times: 100 on every Linux the bench runs on. */
const ticksPerSecond = 100
