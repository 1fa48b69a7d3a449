import type { Logger, LogLevel } from '../log'

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 }

/** A logger that writes lines at or above `level` to the page's console, prefixed with `[name]`. */
export function consoleLogger(name: string, level: LogLevel = 'warn'): Logger {
  const at = (lineLevel: Exclude<LogLevel, 'silent'>) => (message: string) => {
    if (rank[lineLevel] >= rank[level]) console[lineLevel](`[${name}] ${message}`)
  }
  return { level, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
