import type { IncomingMessage, ServerResponse } from 'http'
import type { AddressInfo, Socket } from 'net'
import { performance } from 'perf_hooks'
import type { Duplex } from 'stream'
import * as E from 'fp-ts/Either'
import { Subject, type Observable } from 'rxjs'
import WebSocket, { WebSocketServer } from 'ws'
import { RxChannelsError } from '../errors'
import { stderrLogger, type Logger } from '../log'
import { CHANNEL_PATH_PREFIX, parseChannelRequest } from '../protocol/channel-url'
import { CloseCode } from '../protocol/close-codes'
import { socketClassWithReasons } from '../socket/close-reasons'
import { checkToken } from './auth'
import { ChannelRegistry } from './channels'
import type { EngineEvent, SocketEndpoint } from './events'
import { FunctionRegistry } from './function-registry'
import { closeSocket } from '../socket/close'
import { nativeMasking } from '../socket/native'
import { WITHOUT_CLOSE_TIMEOUT } from '../socket/progress'
import { refuseUpgrade } from './http'
import { InvocationRouter } from './invocation-router'
import { resolveLimits, type EngineLimits } from './limits'
import { reattach } from './reattach'
import { createEngineServer } from './server'
import { sweepInterval } from './sweep-interval'
import { TelemetrySockets } from './telemetry'
import { logShutdown } from './shutdown-log'
import { WorkerConnection } from './worker-connection'
import { logWorkerConnected, logWorkerDisconnected } from './worker-log'
import { serveWorker } from './worker-session'

export const DEFAULT_ENGINE_PORT = 49134

export interface EngineOptions extends Partial<EngineLimits> {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string
  /** Port to listen on; 0 picks a free one. Default 49134. */
  readonly port?: number
  readonly logger?: Logger
  /**
   * How often the engine pings workers and drops those that did not answer the last ping: a pong
   * is the only sign of life, not other frames. Channel sockets are checked as often: one whose
   * peer neither answered, sent nor took a byte in that time is dropped. Default 30 s.
   */
  readonly heartbeatMs?: number
  /** Fail a worker's channels when it disconnects, as iii does. Default true. */
  readonly dropChannelsOfGoneWorkers?: boolean
  /**
   * When set, worker and `/otel` sockets must present this token (`Authorization: Bearer <token>`
   * or `?token=`) or are refused with HTTP 401. Channel sockets stay guarded by their own keys.
   */
  readonly token?: string
  /** Serve wss:// with this certificate and private key (PEM). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer }
}

export interface EngineStats {
  readonly workers: number
  readonly functions: number
  readonly channels: number
  /** Frames the engine holds for readers right now, across all channels. */
  readonly heldFrames: number
  /** Bytes the engine holds for readers right now, across all channels. */
  readonly heldBytes: number
  readonly pendingInvocations: number
  /** Bytes queued to worker sockets and not yet taken by their workers, across all workers. */
  readonly queuedBytes: number
  /** Invocations refused since the engine started because their callee was backed up (`worker_backed_up`). */
  readonly shedInvocations: number
  readonly sockets: number
  /** Open TCP connections the engine admitted, upgraded or not yet (what `maxConnections` counts). */
  readonly connections: number
}

/** A running engine. */
export interface Engine {
  /** `ws://HOST:PORT` (`wss://` with TLS), the address workers connect to. */
  readonly url: string
  readonly port: number
  /** The limits in force: the options given, or their defaults. */
  readonly limits: EngineLimits
  /** Lifecycle events of workers, channels and sockets, including backpressure. Completes on close. */
  readonly events$: Observable<EngineEvent>
  stats(): EngineStats
  /** Stops accepting, fails what is in flight with "engine shutting down", closes every socket. */
  close(): Promise<void>
}

const SHUTDOWN_REASON = 'engine shutting down'
const SHUTDOWN_GRACE_MS = 2_000

/** Starts an engine: one HTTP server, one port, worker sockets on `/`, channel sockets on `/ws/channels/{id}`. */
export async function startEngine(options: EngineOptions = {}): Promise<Engine> {
  const host = options.host ?? '127.0.0.1'
  const logger = options.logger ?? stderrLogger('rx-channels engine')
  const limits = resolveLimits(options)
  if (options.token === '') throw new RxChannelsError('invalid_option', 'token must not be empty')
  const dropChannels = options.dropChannelsOfGoneWorkers ?? true
  const events = new Subject<EngineEvent>()
  const heartbeatMs = options.heartbeatMs ?? 30_000
  const channels = new ChannelRegistry(limits, logger, events, () => performance.now(), heartbeatMs)
  const functions = new FunctionRegistry(limits, () => performance.now())
  const invocations = new InvocationRouter(limits.maxPendingInvocationsPerWorker, logger, () => performance.now())
  const workers = new Map<string, WorkerConnection>()
  const sockets = new Set<WebSocket>()
  let closing: Promise<void> | undefined

  const workerServer = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxMessageBytes,
    WebSocket: socketClassWithReasons('maxMessageBytes', limits.maxMessageBytes),
  })
  const channelServer = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
    // A slow reader may take minutes to drain what is queued ahead of its close frame: the
    // channel heartbeat, not an absolute timer, tells it from a dead one.
    ...WITHOUT_CLOSE_TIMEOUT,
    WebSocket: socketClassWithReasons('maxFrameBytes', limits.maxFrameBytes),
  })
  const telemetryServer = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxTelemetryMessageBytes,
    perMessageDeflate: false,
    WebSocket: socketClassWithReasons('maxTelemetryMessageBytes', limits.maxTelemetryMessageBytes),
  })
  const telemetry = new TelemetrySockets(limits.telemetryIdleMs, logger, () => performance.now())

  const track = (ws: WebSocket, endpoint: SocketEndpoint) => {
    sockets.add(ws)
    ws.on('error', (error) => logger.debug(`${endpoint} socket error: ${error.message}`))
    ws.on('close', () => {
      sockets.delete(ws)
      events.next({ type: 'socket_closed', endpoint })
    })
  }

  const retire = (worker: WorkerConnection, previousWorkerId: string, token: string) =>
    reattach(worker, previousWorkerId, token, { workers, functions, logger })

  const acceptWorker = (ws: WebSocket, socket: Duplex, request: IncomingMessage) => {
    track(ws, 'worker')
    const worker = new WorkerConnection(ws, socket, { limits, logger, events })
    workers.set(worker.id, worker)
    functions.join(worker)
    ws.on('pong', () => (worker.alive = true))
    logWorkerConnected(logger, worker, peerAddress(request.socket))
    events.next({ type: 'worker_connected', worker_id: worker.id })
    void serveWorker(worker, { channels, functions, workers, invocations, logger, retire, maxMessageBytes: limits.maxMessageBytes }).then((end) => {
      workers.delete(worker.id)
      functions.leave(worker, end.clean)
      // Callers and channel ends read this: the full id, as the engine gave it to workers.
      const reason = `worker ${worker.id} ${worker.dropReason === undefined ? 'disconnected' : `dropped: ${worker.dropReason}`}`
      invocations.workerGone(worker, reason)
      if (dropChannels) channels.dropOwnedBy(worker.id, reason)
      logWorkerDisconnected(logger, worker, end)
      events.next({ type: 'worker_disconnected', worker_id: worker.id })
    })
  }

  /** Whether the upgrade carries the engine's token, if it has one; refuses it with 401 if not. */
  const tokenPresented = (request: IncomingMessage, url: URL, socket: Duplex, endpoint: SocketEndpoint): boolean => {
    if (options.token === undefined) return true
    const check = checkToken(request, url, options.token)
    if (check.ok) return true
    logger.warn(`refused a ${endpoint} socket from ${request.socket.remoteAddress}: ${check.reason}`)
    refuseUpgrade(socket, 401, check.reason, { 'WWW-Authenticate': 'Bearer realm="rx-channels"' })
    return false
  }

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => logger.debug(`upgrade socket error: ${error.message}`))
    if (closing) {
      refuseUpgrade(socket, 503, SHUTDOWN_REASON)
      return
    }
    let url: URL
    try {
      url = new URL(request.url ?? '/', 'http://engine')
    } catch {
      refuseUpgrade(socket, 400, 'malformed request URL')
      return
    }
    if (url.pathname.startsWith(CHANNEL_PATH_PREFIX)) {
      const parsed = parseChannelRequest(url)
      if (E.isLeft(parsed)) {
        refuseUpgrade(socket, parsed.left.status, parsed.left.reason)
        return
      }
      const { channelId, key, direction } = parsed.right
      const outcome = channels.authorize(channelId, direction, key)
      if (!outcome.ok) {
        refuseUpgrade(socket, outcome.status, outcome.reason)
        return
      }
      channelServer.handleUpgrade(request, socket, head, (ws) => {
        track(ws, 'channel')
        channels.attach(outcome.relay, direction, ws, request.socket)
      })
    } else if (url.pathname === '/otel') {
      if (!tokenPresented(request, url, socket, 'telemetry')) return
      // Telemetry from the official client: accepted and dropped (protocol section 5).
      telemetryServer.handleUpgrade(request, socket, head, (ws) => {
        track(ws, 'telemetry')
        telemetry.add(ws)
      })
    } else if (url.pathname === '/') {
      if (!tokenPresented(request, url, socket, 'worker')) return
      workerServer.handleUpgrade(request, socket, head, (ws) => acceptWorker(ws, socket, request))
    } else {
      refuseUpgrade(socket, 404, `no WebSocket endpoint at ${url.pathname}`)
    }
  }

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    if (request.url === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ status: 'ok', ...stats() }))
      return
    }
    response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' })
    response.end('rx-channels engine: connect with a WebSocket\n')
  }

  const stats = (): EngineStats => ({
    workers: workers.size,
    functions: functions.size,
    channels: channels.size,
    heldFrames: channels.heldFrames,
    heldBytes: channels.heldBytes,
    pendingInvocations: invocations.size,
    queuedBytes: queuedBytes(workers.values()),
    shedInvocations: invocations.shed,
    sockets: sockets.size,
    connections: connections.connections(),
  })

  const connections = createEngineServer({ limits, logger, tls: options.tls, onRequest, onUpgrade })
  const server = connections.http

  const heartbeat = setInterval(() => {
    for (const worker of workers.values()) {
      if (!worker.alive) {
        worker.dropReason = `no pong within ${heartbeatMs} ms (heartbeatMs)`
        logger.warn(`worker ${worker.label} did not answer a ping; dropping it`, worker.logFields)
        worker.ws.terminate()
        continue
      }
      worker.alive = false
      worker.ws.ping()
    }
  }, heartbeatMs)
  heartbeat.unref()
  const channelHeartbeat = setInterval(() => channels.beat(), heartbeatMs)
  channelHeartbeat.unref()
  // One timer for every channel, rather than one per channel.
  const sweeper = setInterval(() => channels.sweep(), sweepInterval(limits.channelTtlMs))
  sweeper.unref()

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? DEFAULT_ENGINE_PORT, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    clearInterval(heartbeat)
    clearInterval(channelHeartbeat)
    clearInterval(sweeper)
    telemetry.stop()
    throw error
  }
  server.on('error', (error) => logger.error(`server error: ${error.message}`))
  const port = (server.address() as AddressInfo).port
  logger.info(nativeMasking() ? 'frame masking: native (bufferutil)' : 'frame masking: JavaScript fallback (bufferutil not available; slower)')
  const urlHost = host.includes(':') ? `[${host}]` : host

  const close = () =>
    (closing ??= (async () => {
      const startedAt = performance.now()
      const open = stats()
      clearInterval(heartbeat)
      clearInterval(channelHeartbeat)
      clearInterval(sweeper)
      telemetry.stop()
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()))
      // Results go out before the close frames, on the same sockets, so callers see why.
      invocations.failAll({ code: 'engine_shutting_down', message: SHUTDOWN_REASON })
      channels.abortAll(CloseCode.GoingAway, SHUTDOWN_REASON)
      for (const ws of sockets) closeSocket(ws, CloseCode.GoingAway, SHUTDOWN_REASON)
      await allClosed(sockets, SHUTDOWN_GRACE_MS)
      server.closeAllConnections()
      await serverClosed
      logShutdown(logger, open, performance.now() - startedAt)
      events.complete()
    })())

  return { url: `${options.tls ? 'wss' : 'ws'}://${urlHost}:${port}`, port, limits, events$: events.asObservable(), stats, close }
}

/** `host:port` of a peer, IPv6 hosts in brackets. */
function peerAddress(socket: Socket): string {
  const host = socket.remoteAddress ?? 'unknown'
  return `${host.includes(':') ? `[${host}]` : host}:${socket.remotePort ?? '?'}`
}

/** What all workers have queued and not read; summed when asked, so the send path counts nothing. */
function queuedBytes(workers: Iterable<WorkerConnection>): number {
  let total = 0
  for (const worker of workers) total += worker.backlog.queuedBytes
  return total
}

/** Waits for every socket to finish its close handshake, terminating stragglers after `graceMs`. */
async function allClosed(sockets: Set<WebSocket>, graceMs: number): Promise<void> {
  const pending = [...sockets].map(
    (ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve()))),
  )
  const timer = setTimeout(() => sockets.forEach((ws) => ws.terminate()), graceMs)
  await Promise.all(pending)
  clearTimeout(timer)
}
