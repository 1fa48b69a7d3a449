// What every hostile-mix peer shares: its arguments, and the lines the bench reads from it.

/** `node peer.ts URL SECONDS [N]`: the engine, how long to run, and a size of the peer's own. */
export function peerArgs(): { url: string; seconds: number; count: number } {
  const [url, seconds, count] = process.argv.slice(2)
  return { url, seconds: Number(seconds), count: Number(count ?? 0) }
}

/** Tells the bench this peer is set up, with whatever it should know (a pid, a worker id). */
export function ready(info: Record<string, unknown> = {}): void {
  console.log(`READY ${JSON.stringify(info)}`)
}

/** Reports how the peer ended and exits. */
export function finish(result: Record<string, unknown>): never {
  console.log(`RESULT ${JSON.stringify(result)}`)
  process.exit(0)
}

/** Counts of outcomes by name: `{ "408 Request Timeout": 2900, "429 Too Many Requests": 17000 }`. */
export class Tally {
  private readonly counts: Record<string, number> = {}

  add(outcome: string, times = 1): void {
    this.counts[outcome] = (this.counts[outcome] ?? 0) + times
  }

  toJSON(): Record<string, number> {
    return this.counts
  }
}

/** A close reason, clipped so that a tally keys on its kind rather than its details. */
export const closeOutcome = (code: number, reason: Buffer | string) => `${code} ${reason.toString().slice(0, 90)}`.trim()

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
