/** Where the library writes what it notices. Replace it to route logs elsewhere. */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 }

/** A logger that writes lines at or above `level` to stderr, each prefixed with `name`. */
export function stderrLogger(name: string, level: LogLevel = 'warn'): Logger {
  const at = (lineLevel: Exclude<LogLevel, 'silent'>) => (message: string) => {
    if (rank[lineLevel] >= rank[level]) process.stderr.write(`[${name}] ${lineLevel}: ${message}\n`)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

export const silentLogger: Logger = stderrLogger('', 'silent')
