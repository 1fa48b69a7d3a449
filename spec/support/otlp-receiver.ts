import { createServer, type IncomingMessage, type ServerResponse } from 'http'
import type { AddressInfo } from 'net'
import { silentLogger, startEngine, type Engine } from '../../lib'

/** One request the receiver took: its path, content type and body. */
export interface OtlpRequest {
  readonly path: string
  readonly type: string
  readonly body: string
}

/** A span as the OTLP JSON encoding gives it (ids in hex), with its service and attributes flattened. */
export interface ReceivedSpan {
  readonly service: string
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string
  readonly attributes: Record<string, unknown>
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:PORT`, what the engine is given as its OTLP endpoint. */
  readonly url: string
  readonly requests: OtlpRequest[]
  /** Every span in the trace exports received so far. */
  spans(): ReceivedSpan[]
  /** Resolves with what `find` returns once it returns something, checked as each request arrives; rejects after `withinMs`. */
  until<T>(find: () => T | undefined, withinMs?: number): Promise<T>
  /** Requests held unanswered so far (with `hold`). */
  readonly held: number
  close(): Promise<void>
}

/**
 * A stand-in OTLP/HTTP collector on loopback: a plain HTTP server that records each request
 * and answers 200 `{}`, as a collector does; with `hold`, it answers nothing (a collector that
 * stopped responding) until closed.
 */
export async function startOtlpReceiver(options: { hold?: boolean } = {}): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = []
  const waiters = new Set<() => void>()
  const heldResponses: ServerResponse[] = []
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const parts: Buffer[] = []
    request.on('data', (part: Buffer) => parts.push(part))
    request.on('end', () => {
      requests.push({ path: request.url ?? '', type: String(request.headers['content-type']), body: Buffer.concat(parts).toString('utf8') })
      if (options.hold) heldResponses.push(response)
      else response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      for (const waiter of [...waiters]) waiter()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const spans = () => requests.filter((request) => request.path === '/v1/traces').flatMap((request) => spansOf(JSON.parse(request.body)))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    spans,
    get held() {
      return heldResponses.length
    },
    until: <T>(find: () => T | undefined, withinMs = 10_000) =>
      new Promise<T>((resolve, reject) => {
        const check = () => {
          const found = find()
          if (found === undefined) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(found)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`not received within ${withinMs} ms; got ${requests.map((request) => `${request.path} ${request.body.slice(0, 200)}`).join('\n')}`))
        }, withinMs)
        waiters.add(check)
        check()
      }),
    close: async () => {
      for (const response of heldResponses) response.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

interface OtlpAttribute {
  readonly key: string
  readonly value: Record<string, unknown>
}

function flatten(attributes: readonly OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((attributes ?? []).map(({ key, value }) => [key, Object.values(value)[0]]))
}

function spansOf(request: {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }>
}): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const service = String(flatten(resourceSpans.resource?.attributes)['service.name'])
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        name: String(span.name),
        traceId: String(span.traceId),
        spanId: String(span.spanId),
        parentSpanId: String(span.parentSpanId ?? ''),
        attributes: flatten(span.attributes as OtlpAttribute[] | undefined),
      })),
    )
  })
}

/**
 * For each test, a receiver and an engine exporting to it (`otlpEndpoint`), closed after it,
 * engine first. Its hooks run where the call stands among the suite's own.
 */
export function useOtlpEngine(): { readonly receiver: OtlpReceiver; readonly engine: Engine } {
  const context = {} as { receiver: OtlpReceiver; engine: Engine }
  beforeEach(async () => {
    context.receiver = await startOtlpReceiver()
    context.engine = await startEngine({ port: 0, logger: silentLogger, otlpEndpoint: context.receiver.url })
  })
  afterEach(async () => {
    await context.engine.close()
    await context.receiver.close()
  })
  return context
}
