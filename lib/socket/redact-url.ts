/** A URL fit for a log line: the values of `token` and `key` query parameters are hidden. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|key)=)[^&#]*/gi, '$1***')
}
