import type { IncomingMessage } from 'http'
import type { Socket } from 'net'
import type { Duplex } from 'stream'
import type WebSocket from 'ws'
import { WebSocketServer } from 'ws'
import type { Observer, Subscription } from 'rxjs'
import type { Logger } from '../log'
import { channelUrl, type ChannelRequest } from '../protocol/channel-url'
import { clip } from '../protocol/decode'
import { socketClassWithReasons } from '../socket/close-reasons'
import { openSocket, UpgradeRefusedError } from '../socket/connect'
import { WITHOUT_CLOSE_TIMEOUT } from '../socket/progress'
import { ChannelHeartbeat } from './channel-heartbeat'
import type { ChannelHomes } from './channel-homes'
import { ChannelProxy } from './channel-proxy'
import type { ConnectionLimiter } from './connection-limiter'
import type { EngineEvent } from './events'
import type { HeldBytesBudget } from './held-bytes'
import { HeldUpgrade } from './held-upgrade'
import { refusingWith, type Refuse } from './http'
import type { EngineLimits } from './limits'
import { shortId } from './log-words'

/** Names the node a proxied upgrade comes from: a node never proxies such an upgrade again. */
export const HOP_HEADER = 'x-rx-channels-proxied-by'

/** A subprotocol name is an RFC 7230 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * The channel ends this node proxies to the nodes their channels live on (see
 * {@link ChannelProxy}). An upgrade for a channel of another node is completed only once that
 * node has accepted the same end, key and direction, with the subprotocol it chose; a refusal
 * there is passed on with its HTTP status and reason, so every refusal holds across the hop.
 */
export class ChannelProxies {
  private readonly proxies = new Set<ChannelProxy>()
  private readonly heartbeat: ChannelHeartbeat
  /** The subprotocol the home node chose, by the client's request, for the server to echo. */
  private readonly chosenProtocols = new WeakMap<IncomingMessage, string>()
  private readonly server: WebSocketServer
  /** Who waits for a proxied end to finish (the shutdown). */
  private readonly onceFinished = new Map<ChannelProxy, () => void>()
  /** Bytes passed on by proxied ends that have closed; with the open ones', all since the start. */
  private readonly finishedBytes = { toHome: 0, toClient: 0 }
  private readonly refuseUpgrade: Refuse
  /** Upgrades waiting for their home node's answer, each with how to refuse it. */
  private readonly pending = new Set<(status: number, reason: string) => void>()

  constructor(
    private readonly homes: ChannelHomes | undefined,
    private readonly limits: Pick<EngineLimits, 'maxFrameBytes' | 'upgradeTimeoutMs' | 'maxProxyBytesPerEnd'>,
    private readonly connections: ConnectionLimiter,
    private readonly budget: HeldBytesBudget,
    private readonly logger: Logger,
    private readonly events: Observer<EngineEvent>,
    heartbeatMs: number,
  ) {
    this.heartbeat = new ChannelHeartbeat(heartbeatMs, logger)
    this.refuseUpgrade = refusingWith(events)
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxFrameBytes,
      perMessageDeflate: false,
      ...WITHOUT_CLOSE_TIMEOUT,
      WebSocket: socketClassWithReasons('maxFrameBytes', limits.maxFrameBytes),
      handleProtocols: (_offered, request) => this.chosenProtocols.get(request) || false,
    })
  }

  get size(): number {
    return this.proxies.size
  }

  /** Bytes held for proxied ends right now, both directions. */
  get heldBytes(): number {
    let held = 0
    for (const proxy of this.proxies) held += proxy.heldBytes
    return held
  }

  /** Bytes proxied ends passed on since the engine started, to home nodes and to clients; summed when asked. */
  relayedSinceStart(): { readonly toHome: number; readonly toClient: number } {
    let { toHome, toClient } = this.finishedBytes
    for (const proxy of this.proxies) {
      toHome += proxy.relayedBytes.toHome
      toClient += proxy.relayedBytes.toClient
    }
    return { toHome, toClient }
  }

  /** The node to proxy a channel to, or undefined when it lives here (or this engine is on its own). */
  homeElsewhere(home: string | undefined): string | undefined {
    return this.homes !== undefined && home !== undefined && home !== this.homes.selfId ? home : undefined
  }

  /**
   * Proxies an upgrade for a channel of node `homeId`. A home that is no member (any more) is
   * answered 404 (its channels went with it); one that cannot be reached within
   * `upgradeTimeoutMs`, 502. `accepted` hears of the client's socket once it is open.
   */
  proxy(request: IncomingMessage, socket: Duplex, head: Buffer, channel: ChannelRequest, homeId: string, accepted: (ws: WebSocket) => void): void {
    const from = request.headers[HOP_HEADER]
    if (from !== undefined) {
      // Members that disagree on where a node lives would otherwise pass an end round in a loop.
      // Debug, not warn: any client may send the header, and a flood of them would flood the log.
      this.logger.debug(`channel ${shortId(channel.channelId)}: node ${clip(String(from), 64)} proxied an end here whose home is node ${homeId}`)
      this.refuseUpgrade(socket, 508, `channel home node ${homeId} is not this node; refusing a second hop`)
      return
    }
    const homeUrl = this.homes?.urlOf(homeId)
    if (homeUrl === undefined) {
      this.refuseUpgrade(socket, 404, `unknown or expired channel: its home node ${homeId} is gone`)
      return
    }
    const offered = offeredProtocols(request)
    if (offered === undefined) {
      this.refuseUpgrade(socket, 400, 'invalid Sec-WebSocket-Protocol header')
      return
    }
    // The hop to the home is a connection too: counted against maxConnections until it closes.
    const release = this.connections.reserveOutbound()
    if (typeof release !== 'function') {
      this.refuseUpgrade(socket, release.status, release.reason, { 'Retry-After': '1' })
      return
    }
    const url = channelUrl(homeUrl, { channel_id: channel.channelId, access_key: channel.key, direction: channel.direction })
    const options = { handshakeTimeoutMs: this.limits.upgradeTimeoutMs, headers: { [HOP_HEADER]: this.homes?.selfId ?? '' } }
    const wsOptions = { ...WITHOUT_CLOSE_TIMEOUT, maxPayload: this.limits.maxFrameBytes }
    // A client that leaves during the hop's handshake takes it with it; so does a shutdown.
    let upstream: Subscription | undefined
    const abandon = () => {
      this.pending.delete(refuse)
      upstream?.unsubscribe()
      release()
    }
    const refuse = (status: number, reason: string) => {
      held.release()
      abandon()
      this.refuseUpgrade(socket, status, reason)
    }
    const held = new HeldUpgrade(socket, head, this.limits.maxFrameBytes, (reason) => {
      abandon()
      if (socket.writable) this.refuseUpgrade(socket, 400, reason)
    })
    this.pending.add(refuse)
    upstream = openSocket(url, { ...options, protocols: offered }, wsOptions).subscribe({
      next: (home) => {
        this.pending.delete(refuse)
        const early = held.release()
        home.once('close', release)
        if (socket.destroyed) {
          home.terminate()
          return
        }
        this.chosenProtocols.set(request, home.protocol)
        let attached = false
        this.server.handleUpgrade(request, socket, early, (client) => {
          attached = true
          this.attach(channel, homeId, client, request.socket, home)
          accepted(client)
        })
        // ws answers a malformed upgrade itself (400) without calling back, at once.
        if (!attached) home.terminate()
      },
      error: (error: unknown) => {
        this.pending.delete(refuse)
        held.release()
        release()
        if (error instanceof UpgradeRefusedError) {
          this.refuseUpgrade(socket, error.status, error.reason, error.status === 503 ? { 'Retry-After': '1' } : {})
        } else {
          // Debug, not warn: any client can ask for channels of a node that is down; the membership tells operators of it.
          this.logger.debug(`channel ${shortId(channel.channelId)}: home node ${homeId} unreachable: ${(error as Error).message}`)
          this.refuseUpgrade(socket, 502, `channel home node ${homeId} unreachable`)
        }
      },
    })
  }

  /** Pings every home socket and ends the proxied ends of homes that left the cluster; run twice per `heartbeatMs`. */
  keepHomesAlive(): void {
    for (const proxy of this.proxies) {
      if (this.homes?.urlOf(proxy.homeId) === undefined) proxy.homeLost()
      else proxy.keepHomeAlive()
    }
  }

  /** Judges every client socket of a proxied end; run every `heartbeatMs`. */
  beat(): void {
    this.heartbeat.beat()
  }

  /** Closes both sockets of every proxied end and waits for them, terminating stragglers after `graceMs`. */
  async closeAll(code: number, reason: string, graceMs: number): Promise<void> {
    for (const refuse of [...this.pending]) refuse(503, reason)
    const finished = [...this.proxies].map((proxy) => new Promise<void>((resolve) => this.onceFinished.set(proxy, resolve)))
    for (const proxy of this.proxies) proxy.close(code, reason)
    const timer = setTimeout(() => this.proxies.forEach((proxy) => proxy.terminate()), graceMs)
    await Promise.all(finished)
    clearTimeout(timer)
  }

  private attach({ channelId, direction }: ChannelRequest, homeId: string, client: WebSocket, clientSocket: Socket, home: WebSocket): void {
    const context = { heartbeat: this.heartbeat, budget: this.budget, maxBytes: this.limits.maxProxyBytesPerEnd }
    const fields = { channel_id: channelId, home_node: homeId }
    const proxy = new ChannelProxy(channelId, homeId, client, clientSocket, home, context, () => {
      const { toHome, toClient } = proxy.relayedBytes
      this.logger.debug(`channel ${shortId(channelId)}: proxied ${direction} end closed, ${toHome} bytes to node ${homeId}, ${toClient} to the client`, fields)
      this.proxies.delete(proxy)
      this.finishedBytes.toHome += toHome
      this.finishedBytes.toClient += toClient
      this.onceFinished.get(proxy)?.()
      this.onceFinished.delete(proxy)
      this.events.next({ type: 'proxy_finished', channel_id: channelId, home_node: homeId })
    })
    this.proxies.add(proxy)
    this.logger.debug(`channel ${shortId(channelId)}: ${direction} end proxied to node ${homeId}`, fields)
    this.events.next({ type: 'end_proxied', channel_id: channelId, home_node: homeId })
  }
}

/** The subprotocols the client offered, or undefined if the header is malformed (ws would refuse it the same way). */
function offeredProtocols(request: IncomingMessage): string[] | undefined {
  const header = request.headers['sec-websocket-protocol']
  if (header === undefined) return []
  const names = header.split(',').map((name) => name.trim())
  const valid = names.every((name) => TOKEN.test(name)) && new Set(names).size === names.length
  return valid ? names : undefined
}
