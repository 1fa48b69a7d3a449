/** Samples this process's resident set size, so a bench can report its peak above idle. */
export class RssMeter {
  private idle = process.memoryUsage.rss()
  private peak = this.idle
  private readonly timer = setInterval(() => this.sample(), 50)

  constructor() {
    this.timer.unref()
  }

  /** Takes the current RSS as idle: call it once set up, just before the work starts. */
  markIdle(): void {
    this.idle = process.memoryUsage.rss()
    this.peak = this.idle
  }

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss())
  }

  /** Idle and peak RSS in MiB, and the growth between them. */
  report(): { idleMiB: number; peakMiB: number; growthMiB: number } {
    this.sample()
    const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10
    return { idleMiB: mib(this.idle), peakMiB: mib(this.peak), growthMiB: mib(this.peak - this.idle) }
  }

  /** Prints the report as an `RSS {...}` line and exits when the bench stops this process. */
  reportOnSigterm(): void {
    process.once('SIGTERM', () => {
      console.log(`RSS ${JSON.stringify(this.report())}`)
      process.exit(0)
    })
  }
}
