import type { AddressInfo } from 'net'
import { performance } from 'perf_hooks'
import { Subject, type Observable } from 'rxjs'
import { RxChannelsError } from '../errors'
import { stderrLogger, type Logger } from '../log'
import { nativeMasking } from '../socket/native'
import { ChannelRegistry } from './channels'
import { localRouting, type EngineRouting, type EngineRoutingFactory } from './engine-routing'
import type { EngineState } from './engine-state'
import { engineStats, type EngineStats } from './engine-stats'
import { startTimers } from './engine-timers'
import type { EngineEvent } from './events'
import { answerRequests } from './health'
import { resolveLimits, type EngineLimits } from './limits'
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
   * When set, worker and `/otel` sockets must present this token (`Authorization: Bearer <token>`
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

/** Starts an engine: one HTTP server, one port, worker sockets on `/`, channel sockets on `/ws/channels/{id}`. */
export function startEngine(options: EngineOptions = {}): Promise<Engine> {
  return startEngineWith(options, localRouting)
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
  const state: EngineState = {
    limits,
    logger,
    events,
    channels: new ChannelRegistry(limits, logger, events, now, heartbeatMs),
    ...routing({ limits, logger, now }),
    workers: new Map(),
    sockets: new OpenSockets(logger, events),
  }
  const telemetry = new TelemetrySockets(limits.telemetryIdleMs, logger, now)
  let closing: Promise<void> | undefined
  const onUpgrade = routeUpgrades(state, {
    token: options.token,
    dropChannels: options.dropChannelsOfGoneWorkers ?? true,
    origins,
    telemetry,
    closing: () => closing !== undefined,
  })
  const stats = () => engineStats(state, server)
  const server = createEngineServer({ limits, logger, tls: options.tls, onRequest: answerRequests(stats), onUpgrade })
  const timers = startTimers(state, heartbeatMs)
  try {
    await listen(server.http, options.port ?? DEFAULT_ENGINE_PORT, host, logger)
  } catch (error) {
    timers.stop()
    telemetry.stop()
    throw error
  }
  const port = (server.http.address() as AddressInfo).port
  logger.info(nativeMasking() ? 'frame masking: native (bufferutil)' : 'frame masking: JavaScript fallback (bufferutil not available; slower)')
  const urlHost = host.includes(':') ? `[${host}]` : host
  const close = () => (closing ??= shutDown(state, { server, timers, telemetry, stats }))
  return { url: `${options.tls ? 'wss' : 'ws'}://${urlHost}:${port}`, port, limits, events$: events.asObservable(), stats, close }
}
