import { createServer, type IncomingMessage, type ServerResponse } from 'http'
import type { AddressInfo } from 'net'

/** A stand-in OTLP/HTTP collector: answers every export 200 at once and counts the spans in the trace exports. */
export interface OtlpSink {
  /** `http://127.0.0.1:PORT`, the engine's `otlpEndpoint`. */
  readonly url: string
  /** Spans received so far. */
  spans(): number
  close(): Promise<void>
}

export async function startOtlpSink(): Promise<OtlpSink> {
  let spans = 0
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const parts: Buffer[] = []
    request.on('data', (part: Buffer) => parts.push(part))
    request.on('end', () => {
      if (request.url === '/v1/traces') spans += spansIn(JSON.parse(Buffer.concat(parts).toString('utf8')) as TraceExport)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => spans,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

interface TraceExport {
  readonly resourceSpans?: ReadonlyArray<{ readonly scopeSpans?: ReadonlyArray<{ readonly spans?: readonly unknown[] }> }>
}

function spansIn(traces: TraceExport): number {
  return (traces.resourceSpans ?? []).reduce((sum, resource) => sum + (resource.scopeSpans ?? []).reduce((inScope, scope) => inScope + (scope.spans?.length ?? 0), 0), 0)
}
