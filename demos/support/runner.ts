// Runs demos the way `npm start` shows them: each as worker processes of its own against one
// engine, judged by its result, reported in a line or two, and stopped cleanly on Ctrl-C.
import { interruptedBy, onInterrupt } from './interrupt'
import { spawnTs, type SpawnOptions, type TsProcess } from './processes'
import { PROGRESS_LINE } from './progress'
import type { Report } from './report'

export interface Verdict {
  readonly passed: boolean
  /** The result in one line. */
  readonly summary: string
}

export interface Demo {
  /** What `npm start -- NAME` selects it by. */
  readonly name: string
  /** What it shows. */
  readonly title: string
  /** Registers the function the caller triggers; prints `READY` once registered. None for a demo that starts its own engines and workers. */
  readonly callee?: string
  /**
   * Prints `RESULT <json>`, `NOTE <text>` lines the report shows under the title as they come,
   * and `progress N% ...` lines on stderr while it works.
   */
  readonly caller: string
  readonly callerArgs?: readonly string[]
  /**
   * Picks an address out of the callee's READY line (group 1): shown under the title, for a
   * person to open, and passed to the caller after the engine's address.
   */
  readonly announce?: RegExp
  /** The caller starts engines of its own, so it is not given the runner's. */
  readonly ownEngines?: boolean
  /** Why the demo cannot run on this machine (one line saying what to install), or undefined where it can. */
  unavailable?(): string | undefined
  judge(result: unknown): Verdict
}

export type Outcome = 'passed' | 'failed' | 'not run'

/** A step a demo reports on its own stdout, shown under its title. */
const NOTE_LINE = /^NOTE (.*)$/

/** How long a caller may take to print its result, and then to exit. */
const RESULT_TIMEOUT_MS = 5 * 60_000
const EXIT_TIMEOUT_MS = 30_000

/** Spawns demo processes and stops every one still running if this process is interrupted. */
export class DemoRunner {
  private readonly live = new Set<TsProcess>()

  constructor(
    private readonly engineUrl: string,
    private readonly report: Report,
    /** Environment of the demo processes (the runner points their TMPDIR at its own scratch folder). */
    private readonly env: NodeJS.ProcessEnv,
  ) {
    onInterrupt(() => this.stopAll())
  }

  /** Runs `demo` (unless it cannot run here), reports its outcome under its title, and returns it. */
  async run(demo: Demo): Promise<Outcome> {
    const missing = demo.unavailable?.()
    if (missing !== undefined) {
      this.report.detail(`not run: ${missing}`)
      return 'not run'
    }
    const started = Date.now()
    let callee: TsProcess | undefined
    let verdict: Verdict
    try {
      let announced: string | undefined
      if (demo.callee !== undefined) {
        callee = this.spawn(demo.callee, [this.engineUrl])
        const ready = (await callee.waitForLine(/^READY/)).input ?? ''
        announced = demo.announce ? ready.match(demo.announce)?.[1] : undefined
        if (announced !== undefined) this.report.detail(`open ${announced}`)
      }
      verdict = await this.callerVerdict(demo, announced === undefined ? [] : [announced])
    } catch (error) {
      verdict = { passed: false, summary: error instanceof Error ? error.message : String(error) }
    } finally {
      await callee?.stop()
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    if (interruptedBy()) return 'failed'
    if (verdict.passed) this.report.detail(`passed in ${seconds} s: ${verdict.summary}`)
    else this.report.detail(`FAILED after ${seconds} s: ${verdict.summary.split('\n').slice(0, 6).join(`\n${' '.repeat(8)}`)}`)
    return verdict.passed ? 'passed' : 'failed'
  }

  private async callerVerdict(demo: Demo, announced: readonly string[]): Promise<Verdict> {
    const args = demo.ownEngines ? (demo.callerArgs ?? []) : [this.engineUrl, ...announced, ...(demo.callerArgs ?? [])]
    const caller = this.spawn(demo.caller, args, {
      onStderrLine: (line) => {
        const step = line.match(PROGRESS_LINE)
        if (step && !interruptedBy()) this.report.progress(Number(step[1]), line)
      },
      onStdoutLine: (line) => {
        const noted = line.match(NOTE_LINE)
        if (noted && !interruptedBy()) this.report.detail(noted[1])
      },
    })
    try {
      const [, json] = await caller.waitForLine(/^RESULT (.*)$/, RESULT_TIMEOUT_MS)
      const { code, signal } = await within(caller.exited, EXIT_TIMEOUT_MS, `${demo.caller} did not exit after its result`)
      if (code !== 0) return { passed: false, summary: `${demo.caller} exited with ${signal ?? code}; stderr:\n${caller.stderr()}` }
      return demo.judge(JSON.parse(json))
    } finally {
      await caller.stop()
    }
  }

  private spawn(script: string, args: readonly string[], watch: Pick<SpawnOptions, 'onStderrLine' | 'onStdoutLine'> = {}): TsProcess {
    if (interruptedBy()) throw new Error(`not starting ${script}: interrupted`)
    const child = spawnTs(script, args, { env: this.env, ...watch })
    this.live.add(child)
    void child.exited.then(() => this.live.delete(child))
    this.report.debug(`started ${script} (pid ${child.child.pid})`)
    return child
  }

  private async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((child) => child.stop()))
  }
}

function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
