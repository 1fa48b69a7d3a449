import { get } from 'http'

/** An HTTP GET of `path` on the engine at `engineUrl`: the status, content type and body. */
export function httpGet(engineUrl: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  const { port } = new URL(engineUrl)
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (part: string) => (body += part))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body }))
    }).on('error', reject)
  })
}

/** The value of the sample `name{labels}` in a Prometheus text scrape (labels in any order, all of them given), or undefined. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null || match[1] !== name) continue
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]))
    const wanted = Object.entries(labels)
    if (Object.keys(found).length === wanted.length && wanted.every(([key, value]) => found[key] === value)) return Number(match[3])
  }
  return undefined
}
