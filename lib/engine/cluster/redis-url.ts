/** What a secret reads as in log lines and error messages. */
const HIDDEN = '***'

/**
 * Hides the password of a Redis URL wherever it could show: the URL itself as it is logged, and
 * any text (an error message from the client) that might quote it.
 */
export class RedisUrlRedaction {
  private readonly secrets: string[]

  constructor(private readonly url: string) {
    this.secrets = passwordOf(url)
  }

  /** The URL without its password: `redis://user:***@host:6379/0`. */
  get safeUrl(): string {
    return this.redact(this.url)
  }

  /** `text` with every occurrence of the password (as written in the URL, and decoded) hidden. */
  redact(text: string): string {
    let safe = text
    for (const secret of this.secrets) safe = safe.split(secret).join(HIDDEN)
    return safe
  }
}

function passwordOf(url: string): string[] {
  let password: string
  try {
    password = new URL(url).password
  } catch {
    // Not parseable as a URL: hide whatever sits between the scheme's `//` and the last `@`.
    const credentials = /^[a-z]+:\/\/([^@/]*)@/i.exec(url)?.[1]
    return credentials ? [credentials] : []
  }
  if (password === '') return []
  const decoded = safeDecode(password)
  // The longer first: hiding a decoded password inside its encoded form would leave a tail.
  return [...new Set([password, decoded])].sort((a, b) => b.length - a.length)
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
