import { constants, PerformanceObserver, type PerformanceEntry } from 'perf_hooks'

/**
 * Starts counting this process's full (mark-compact) garbage collections; the returned
 * function stops and gives the count. Off-heap buffer churn in a small heap shows up here
 * first: it is how the throughput table explains itself.
 */
export function countFullGcs(): () => number {
  let count = 0
  const tally = (entries: PerformanceEntry[]) => {
    for (const entry of entries) if ((entry as unknown as { detail: { kind: number } }).detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) count++
  }
  const observer = new PerformanceObserver((list) => tally(list.getEntries()))
  observer.observe({ entryTypes: ['gc'] })
  return () => {
    tally(observer.takeRecords())
    observer.disconnect()
    return count
  }
}
