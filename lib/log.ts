/**
 * Structured values that go with a line: ids, counts, durations. A text logger may ignore them
 * (the message says the same in words); a JSON logger writes them as fields of the line.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>

/**
 * Where the library writes what it notices. Replace it to route logs elsewhere: an object with
 * `debug`, `info`, `warn` and `error` taking a message is enough; `fields` and `level` are optional.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** The lowest level the logger writes, if it says: lines below it are then never built. */
  readonly level?: LogLevel
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** `text`: `TIME [name] level: message`; `json`: one object per line for log collectors. */
export type LogFormat = 'text' | 'json'

const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 }

/**
 * Whether `logger` writes lines at `level`: callers check it before building a line that costs
 * something. A logger that does not say its level writes everything.
 */
export function logsAt(logger: Logger, level: Exclude<LogLevel, 'silent'>): boolean {
  return logger.level === undefined || rank[level] >= rank[logger.level]
}

/**
 * A logger that writes lines at or above `level` to stderr. In `text` format each line is
 * `2024-05-01T09:30:00.123Z [name] info: message` (UTC), with control characters escaped so
 * that client-supplied text cannot forge a line; in `json` format each line is an object with
 * `time`, `level`, `name`, `msg` and the line's fields.
 */
export function stderrLogger(name: string, level: LogLevel = 'warn', format: LogFormat = 'text'): Logger {
  const line = format === 'json' ? jsonLine : textLine
  const at = (lineLevel: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (rank[lineLevel] >= rank[level]) process.stderr.write(line(new Date().toISOString(), lineLevel, name, message, fields))
  }
  return { level, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

export const silentLogger: Logger = stderrLogger('', 'silent')

// C0 controls and DEL, plus the Unicode line and paragraph separators some viewers break on.
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g

const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

const escapeControl = (char: string) => ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`

function textLine(time: string, level: string, name: string, message: string): string {
  return `${time} [${name}] ${level}: ${message.replace(CONTROL, escapeControl)}\n`
}

/** Field names are the engine's own, never a client's: none collides with the four keys. */
function jsonLine(time: string, level: string, name: string, message: string, fields?: LogFields): string {
  return `${JSON.stringify({ time, level, name, msg: message, ...fields })}\n`
}
