import { filter, firstValueFrom } from 'rxjs'
import WebSocket from 'ws'
import { silentLogger, startEngine, type Engine, type EngineEvent, type EngineOptions, type EngineStats, type LogFields, type Logger } from '../../lib'
import type { ChannelPair } from '../../lib/protocol/refs'

/** Starts an in-process engine on a free loopback port for each test of the enclosing suite. */
export function useEngine(options: EngineOptions = {}): { readonly engine: Engine; readonly url: string } {
  const context = {} as { engine: Engine; url: string }
  beforeEach(async () => {
    context.engine = await startEngine({ port: 0, logger: silentLogger, ...options })
    context.url = context.engine.url
  })
  afterEach(async () => {
    await context.engine.close()
  })
  return context
}

export interface RawFrame {
  readonly data: Buffer
  readonly binary: boolean
}

/** A raw client socket whose frames and close are recorded from the moment it is created. */
export interface RawSocket {
  readonly ws: WebSocket
  readonly frames: RawFrame[]
  readonly closed: Promise<{ code: number; reason: string }>
}

class Refused extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(body)
  }
}

/**
 * Opens a raw WebSocket; resolves once open, rejects with {@link Refused} if the upgrade is
 * answered with an HTTP status. Listeners are attached before the handshake, since frames
 * sent right after the upgrade can be emitted before a promise continuation runs.
 */
export function openRaw(url: string, options?: WebSocket.ClientOptions): Promise<RawSocket> {
  const ws = new WebSocket(url, options)
  const frames: RawFrame[] = []
  ws.on('message', (data: Buffer, binary: boolean) => frames.push({ data, binary }))
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }))
    ws.once('unexpected-response', (_request, response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (part: string) => (body += part))
      response.on('end', () => {
        reject(new Refused(response.statusCode ?? 0, body.trim()))
        ws.terminate()
      })
    })
    ws.on('error', reject)
  })
}

/** The HTTP status and body with which the engine refuses an upgrade to `url`. */
export async function refusal(url: string, options?: WebSocket.ClientOptions): Promise<{ status: number; body: string }> {
  try {
    ;(await openRaw(url, options)).ws.terminate()
  } catch (error) {
    if (error instanceof Refused) return { status: error.status, body: error.message }
    throw error
  }
  throw new Error(`${url} was accepted`)
}

/** Sends a JSON control message on a raw worker socket. */
export function sendJson(ws: WebSocket, message: unknown): void {
  ws.send(JSON.stringify(message))
}

export interface RawWorker {
  readonly ws: WebSocket
  readonly closed: Promise<{ code: number; reason: string }>
  /** The next message of `type` from the engine, in arrival order. */
  next(type: string): Promise<Record<string, unknown>>
}

/** A raw worker connection that speaks the protocol by hand. */
export async function rawWorker(url: string, options?: WebSocket.ClientOptions): Promise<RawWorker> {
  const raw = await openRaw(url, options)
  const decoded = (frame: RawFrame) => JSON.parse(frame.data.toString()) as Record<string, unknown>
  const consumed = new Set<RawFrame>()
  return {
    ws: raw.ws,
    closed: raw.closed,
    next: (type) =>
      new Promise((resolve) => {
        const take = () => {
          const frame = raw.frames.find((candidate) => !consumed.has(candidate) && decoded(candidate).type === type)
          if (!frame) return false
          consumed.add(frame)
          resolve(decoded(frame))
          return true
        }
        if (take()) return
        const onMessage = () => {
          if (take()) raw.ws.off('message', onMessage)
        }
        raw.ws.on('message', onMessage)
      }),
  }
}

/** Registers `ids` on a raw worker and waits until the engine has processed them. */
export async function registered(worker: RawWorker, ...ids: string[]): Promise<void> {
  for (const id of ids) sendJson(worker.ws, { type: 'registerfunction', id, description: `does ${id}` })
  // Frames on one socket are handled in order: this answer comes after the registrations.
  sendJson(worker.ws, { type: 'invokefunction', invocation_id: `sync-${ids.join()}`, function_id: 'engine::functions::list', data: {} })
  await worker.next('invocationresult')
}

/** Creates a channel through the engine function on a raw worker socket, as any worker would. */
export async function createRawChannel(url: string, data: unknown = {}): Promise<ChannelPair & { buffer_size: number }> {
  const worker = await rawWorker(url)
  sendJson(worker.ws, { type: 'invokefunction', invocation_id: 'create', function_id: 'engine::channels::create', data })
  const answer = await worker.next('invocationresult')
  if (answer.error) throw new Error(`engine::channels::create failed: ${JSON.stringify(answer.error)}`)
  return answer.result as ChannelPair & { buffer_size: number }
}

/** The first engine event matching `predicate`; subscribe before causing it. */
export function nextEvent<T extends EngineEvent['type']>(
  engine: Engine,
  type: T,
  predicate: (event: Extract<EngineEvent, { type: T }>) => boolean = () => true,
): Promise<Extract<EngineEvent, { type: T }>> {
  return firstValueFrom(
    engine.events$.pipe(filter((event): event is Extract<EngineEvent, { type: T }> => event.type === type && predicate(event as Extract<EngineEvent, { type: T }>))),
  )
}

/** Resolves once `predicate` holds for `engine.stats()`, checking now and after every engine event. */
export function statsReach(engine: Engine, predicate: (stats: EngineStats) => boolean): Promise<EngineStats> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const stats = engine.stats()
      if (!predicate(stats)) return false
      resolve(stats)
      return true
    }
    if (check()) return
    const subscription = engine.events$.subscribe({
      next: () => {
        if (check()) subscription.unsubscribe()
      },
      complete: () => reject(new Error(`the engine closed before its stats matched; last: ${JSON.stringify(engine.stats())}`)),
    })
  })
}

/** A line as a {@link recordingLogger} keeps it. */
export interface LoggedLine {
  readonly level: string
  readonly message: string
  readonly fields: LogFields
}

/** A logger that keeps every line, with its level (`lines`), and its fields too (`entries`), for specs to inspect. */
export function recordingLogger(): Logger & { readonly lines: string[]; readonly entries: LoggedLine[] } {
  const lines: string[] = []
  const entries: LoggedLine[] = []
  const at = (level: string) => (message: string, fields: LogFields = {}) => {
    lines.push(`${level}: ${message}`)
    entries.push({ level, message, fields })
  }
  return { lines, entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
