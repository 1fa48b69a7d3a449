/** Where a demo draws its progress: a terminal gets a bar redrawn in place, anything else a line per step. */
export interface ProgressOptions {
  readonly output?: NodeJS.WriteStream
  /** Percent between two plain lines when the output is not a terminal. Default 25. */
  readonly stepPercent?: number
}

/** One plain progress line; `npm start` reads these from a demo's stderr. */
export const PROGRESS_LINE = /^progress\s+(\d+)%/

/**
 * Reports progress towards `totalBytes`: `report(doneBytes, detail)` draws a 30-column bar on
 * a terminal, or prints `progress 25% 64.0/256.0 MiB` each time another step is reached.
 * `finish()` draws 100% and ends the bar's line.
 */
export function progressReporter(totalBytes: number, { output = process.stderr, stepPercent = 25 }: ProgressOptions = {}) {
  let lastStep = 0
  const draw = (doneBytes: number, detail: string, done: boolean) => {
    const fraction = totalBytes === 0 ? 1 : Math.min(doneBytes / totalBytes, 1)
    const percent = Math.floor(fraction * 100)
    const label = `${String(percent).padStart(3)}% ${mib(doneBytes)}/${mib(totalBytes)} MiB${detail === '' ? '' : `, ${detail}`}`
    if (output.isTTY) {
      const filled = Math.round(fraction * 30)
      output.write(`\r[${'#'.repeat(filled)}${'-'.repeat(30 - filled)}] ${label}${done ? '\n' : ''}`)
    } else if (Math.floor(percent / stepPercent) > lastStep) {
      lastStep = Math.floor(percent / stepPercent)
      output.write(`progress ${label}\n`)
    }
  }
  return {
    report: (doneBytes: number, detail = '') => draw(doneBytes, detail, false),
    finish: (detail = '') => draw(totalBytes, detail, true),
  }
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1)
}
