import type { AddressInfo } from 'net'
import { performance } from 'perf_hooks'
import { Subject, type Observable, type Observer } from 'rxjs'
import { RxChannelsError } from '../errors'
import { stderrLogger, type Logger } from '../log'
import { isNodeId } from '../protocol/channel-id'
import type { ListedChannel } from '../protocol/engine-functions'
import { clip } from '../protocol/decode'
import { nativeMasking } from '../socket/native'
import { ChannelProxies } from './channel-proxies'
import { ChannelRegistry } from './channels'
import { ConnectionLimiter } from './connection-limiter'
import { HeldBytesBudget } from './held-bytes'
import { localRouting, type EngineRouting, type EngineRoutingFactory } from './engine-routing'
import type { EngineState } from './engine-state'
import { engineStats, type EngineStats } from './engine-stats'
import { startTimers } from './engine-timers'
import type { EngineEvent } from './events'
import type { ClusterOptions } from './cluster/cluster-options'
import type { OtlpExport } from './otlp/otlp-export'
import { answerRequests } from './health'
import { resolveLimits, type EngineLimits } from './limits'
import { EngineMetrics } from './metrics'
import { OpenSockets } from './open-sockets'
import { LOOPBACK_ORIGINS, originGate } from './origins'
import { createEngineServer, listen } from './server'
import { shutDown } from './shutdown'
import { TelemetrySockets } from './telemetry'
import { routeUpgrades } from './upgrade-routing'

export type { EngineStats }

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
   * When set, worker and `/otel` sockets, and scrapes of `/metrics`, must present this token (`Authorization: Bearer <token>`
   * or `?token=`) or are refused with HTTP 401. Channel sockets stay guarded by their own keys.
   */
  readonly token?: string
  /**
   * Browser pages allowed to open sockets, by the `Origin` of their upgrades: `scheme://host`,
   * `scheme://host:port`, `scheme://host:*` (any port), or `*` for every page. Upgrades from
   * other pages are refused with HTTP 403; upgrades without an `Origin` (not from a browser)
   * are always allowed. Default: pages on loopback only (`http(s)://localhost:*`,
   * `http(s)://127.0.0.1:*`, `http(s)://[::1]:*`), so a site the user visits cannot drive their
   * local engine.
   */
  readonly allowedOrigins?: readonly string[]
  /** Serve wss:// with this certificate and private key (PEM). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer }
  /** Join a cluster of engines that share one Redis (see {@link ClusterOptions}). Without it, the engine runs on its own and never loads a Redis client. */
  readonly cluster?: ClusterOptions
  /**
   * An OTLP/HTTP collector, `http(s)://HOST:PORT` (4318 is the usual port): the engine forwards
   * what official clients send on `/otel` to `{otlpEndpoint}/v1/traces|metrics|logs` (within
   * `maxOtlpQueueBytes`, dropping what does not fit), and exports a span for each invocation it
   * forwards to a worker, passing the worker a `traceparent` that names it. Without it, `/otel`
   * data is dropped, traceparents pass through untouched, and OpenTelemetry is never loaded.
   */
  readonly otlpEndpoint?: string
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
  /** The channels the engine holds now, in creation order, as `engine::channels::list` shows them (never their keys). */
  channels(): ListedChannel[]
  /** Stops accepting, fails what is in flight with "engine shutting down", closes every socket. */
  close(): Promise<void>
}

/** Starts an engine: one HTTP server, one port, worker sockets on `/`, channel sockets on `/ws/channels/{id}`. */
export function startEngine(options: EngineOptions = {}): Promise<Engine> {
  if (options.cluster === undefined) return startEngineWith(options, localRouting)
  // Loaded only here, so that an engine on its own never loads the Redis client.
  const { clusterRouting } = require('./cluster/cluster-routing') as typeof import('./cluster/cluster-routing')
  return startEngineWith(options, clusterRouting(options.cluster, options.host ?? '127.0.0.1'))
}

/** Starts an engine whose functions and invocations are routed by what `routing` makes (see {@link EngineRouting}). */
export async function startEngineWith(options: EngineOptions, routing: EngineRoutingFactory): Promise<Engine> {
  const host = options.host ?? '127.0.0.1'
  const logger = options.logger ?? stderrLogger('rx-channels engine')
  const limits = resolveLimits(options)
  if (options.token === '') throw new RxChannelsError('invalid_option', 'token must not be empty')
  const heartbeatMs = options.heartbeatMs ?? 30_000
  const now = () => performance.now()
  const origins = originGate(options.allowedOrigins ?? LOOPBACK_ORIGINS, logger, now)
  const events = new Subject<EngineEvent>()
  const otlp = options.otlpEndpoint === undefined ? undefined : startOtlp(options.otlpEndpoint, limits, logger, events, now)
  let routedParts: EngineRouting
  try {
    routedParts = await routing({ limits, logger, events, now, tracing: otlp?.spans })
  } catch (error) {
    await otlp?.close()
    throw error
  }
  const { start, close: closeRouting, ...routed } = routedParts
  const leave = async () => {
    await closeRouting?.()
    await otlp?.close()
  }
  const selfId = routed.channelHomes?.selfId
  if (selfId !== undefined && !isNodeId(selfId)) {
    await leave()
    throw new RxChannelsError('invalid_option', `node id must be 1 to 64 of A-Z, a-z, 0-9, '_' and '-' (it is put in channel ids), got ${JSON.stringify(clip(selfId, 80))}`)
  }
  const limiter = new ConnectionLimiter(limits.maxConnections, limits.maxConnectionsPerAddress)
  const budget = new HeldBytesBudget(limits)
  const state: EngineState = {
    limits,
    logger,
    events,
    channels: new ChannelRegistry(limits, logger, events, now, heartbeatMs, budget, selfId),
    proxies: new ChannelProxies(routed.channelHomes, limits, limiter, budget, logger, events, heartbeatMs),
    ...routed,
    workers: new Map(),
    sockets: new OpenSockets(logger, events),
  }
  const telemetry = new TelemetrySockets(limits.telemetryIdleMs, logger, now, otlp?.forwarder)
  let closing: Promise<void> | undefined
  const onUpgrade = routeUpgrades(state, {
    token: options.token,
    dropChannels: options.dropChannelsOfGoneWorkers ?? true,
    origins,
    telemetry,
    closing: () => closing !== undefined,
  })
  const stats = () => engineStats(state, server)
  const metrics = new EngineMetrics(state, stats, events, routed.channelHomes, otlp?.forwarder)
  const onRequest = answerRequests({ stats, metrics, token: options.token, logger })
  const server = createEngineServer({ limits, logger, tls: options.tls, onRequest, onUpgrade, limiter, events })
  const timers = startTimers(state, heartbeatMs)
  try {
    await listen(server.http, options.port ?? DEFAULT_ENGINE_PORT, host, logger)
  } catch (error) {
    timers.stop()
    telemetry.stop()
    await leave()
    throw error
  }
  const port = (server.http.address() as AddressInfo).port
  logger.info(nativeMasking() ? 'frame masking: native (bufferutil)' : 'frame masking: JavaScript fallback (bufferutil not available; slower)')
  const urlHost = host.includes(':') ? `[${host}]` : host
  const url = `${options.tls ? 'wss' : 'ws'}://${urlHost}:${port}`
  const close = () => (closing ??= shutDown(state, { server, timers, telemetry, stats, leave }))
  try {
    await start?.(url)
  } catch (error) {
    await close()
    throw error
  }
  return { url, port, limits, events$: events.asObservable(), stats, channels: () => state.channels.listAll(), close }
}

/** Loaded only here, so that an engine without `otlpEndpoint` never loads OpenTelemetry. */
function startOtlp(endpoint: string, limits: EngineLimits, logger: Logger, events: Observer<EngineEvent>, now: () => number): OtlpExport {
  const { startOtlpExport } = require('./otlp/otlp-export') as typeof import('./otlp/otlp-export')
  return startOtlpExport(endpoint, limits, logger, events, now)
}
