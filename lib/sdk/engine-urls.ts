import { WorkerError } from '../errors'
import { redactUrl } from '../socket/redact-url'

/** One engine URL, or several to fail over between (tried in order, round robin). */
export type EngineUrls = string | readonly [string, ...string[]]

/** The schemes ws can connect to. */
const SOCKET_SCHEMES: ReadonlySet<string> = new Set(['ws:', 'wss:', 'http:', 'https:', 'ws+unix:'])

/**
 * The URLs to connect to, as a non-empty list. A list is checked at once, entry by entry: one
 * URL the client could never use would otherwise only fail when its turn came. A single URL is
 * left to the socket, which gives up on one it cannot use with `engine_unreachable`.
 */
export function engineUrlList(urls: EngineUrls): readonly [string, ...string[]] {
  if (typeof urls === 'string') return [urls]
  // Checked again at run time: the type only holds for typed callers.
  const list: readonly unknown[] = urls
  if (!Array.isArray(list) || list.length === 0) throw new WorkerError('invalid_option', 'registerWorker needs an engine URL, or a non-empty list of them')
  list.forEach(checkEngineUrl)
  return urls
}

function checkEngineUrl(url: unknown, index: number): void {
  if (typeof url !== 'string') throw new WorkerError('invalid_option', `engine URL ${index} is not a string (${typeof url})`)
  const problem = urlProblem(url)
  if (problem) throw new WorkerError('invalid_option', `engine URL ${index} (${redactUrl(url)}) ${problem}`)
}

function urlProblem(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is not a URL'
  }
  if (!SOCKET_SCHEMES.has(parsed.protocol)) return `has scheme ${parsed.protocol}; expected ws:, wss:, http:, https: or ws+unix:`
  if (parsed.hash !== '') return 'has a fragment'
  return undefined
}
