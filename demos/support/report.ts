/** Indent of the lines under a demo's title. */
const INDENT = '      '

/**
 * The `npm start` report: plain lines on stdout, plus a demo's progress kept to one line (redrawn
 * in place on a terminal, steps appended to a single line otherwise). Debug lines go to stderr.
 */
export class Report {
  private progressOpen = false

  constructor(
    private readonly verbose: boolean,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  line(text: string): void {
    this.closeProgress()
    this.out.write(`${text}\n`)
  }

  /** A line under the current demo's title. */
  detail(text: string): void {
    this.line(`${INDENT}${text}`)
  }

  /** `line` is a demo's own progress line (`progress 50% 128.0/256.0 MiB`). */
  progress(percent: number, line: string): void {
    if (this.out.isTTY) this.out.write(`\r\x1b[K${INDENT}${line}`)
    else this.out.write(this.progressOpen ? ` ${percent}%` : `${INDENT}progress ${percent}%`)
    this.progressOpen = true
  }

  debug(text: string): void {
    if (this.verbose) process.stderr.write(`debug: ${text}\n`)
  }

  private closeProgress(): void {
    if (!this.progressOpen) return
    this.out.write(this.out.isTTY ? '\r\x1b[K' : '\n')
    this.progressOpen = false
  }
}
