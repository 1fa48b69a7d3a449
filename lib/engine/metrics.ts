import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Observable } from 'rxjs'
import type { ChannelHomes } from './channel-homes'
import type { EngineState } from './engine-state'
import type { EngineStats } from './engine-stats'
import type { EngineEvent } from './events'
import { refusalReason } from './refusal-reasons'

const PREFIX = 'rx_channels_'

/** Invocation latencies in seconds: from a local hop (ms) to a slow handler (a minute). */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60]

/** Distinct error codes labelled as themselves; later ones, and codes that are no plain words, count as `other`. */
const MAX_CODES = 64
const PLAIN_CODE = /^[a-z][a-z0-9_]{0,63}$/

/**
 * Process metrics (CPU, memory, event loop, GC) belong to the process, not to one engine: they
 * live in one registry of their own (never prom-client's global one), made on the first scrape,
 * since each set of them keeps observers for the life of the process.
 */
let processRegistry: Registry | undefined

function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

/**
 * The metrics of one engine, in a registry of its own (several engines may run in one
 * process). Counts of what happened come from `events`; levels (workers, channels, held bytes)
 * are read from the engine's state when scraped, so the hot paths count nothing for them.
 */
export class EngineMetrics {
  private readonly registry = new Registry()
  private readonly codes = new Set<string>()

  /**
   * `homes` is where the channels of a cluster live: given, the metrics carry a `node` label and cluster metrics.
   * `otlp` is the forwarder of an engine with `otlpEndpoint`: given, the OTLP export metrics are added.
   */
  constructor(state: EngineState, stats: () => EngineStats, events: Observable<EngineEvent>, homes?: ChannelHomes, otlp?: { readonly queuedBytes: number }) {
    const registers = [this.registry]
    if (homes !== undefined) this.registry.setDefaultLabels({ node: homes.selfId })
    const level = (name: string, help: string, read: (now: EngineStats) => number) =>
      new Gauge({ name: PREFIX + name, help, registers, collect: function () { this.set(read(stats())) } })

    level('workers', 'Workers connected now.', (now) => now.workers)
    level('functions', 'Functions registered now.', (now) => now.functions)
    level('pending_invocations', 'Invocations forwarded to a worker and not answered yet.', (now) => now.pendingInvocations)
    level('queued_bytes', 'Bytes queued to worker sockets and not yet taken by their workers.', (now) => now.queuedBytes)
    level('held_frames', 'Frames the engine holds for channel readers now.', (now) => now.heldFrames)
    level('held_bytes', 'Bytes the engine holds for channel readers now.', (now) => now.heldBytes)
    level('sockets', 'WebSocket connections open now, all endpoints.', (now) => now.sockets)
    level('connections', 'TCP connections counted against maxConnections now.', (now) => now.connections)
    level('proxied_ends', 'Channel ends this node proxies to their home nodes now.', (now) => now.proxiedEnds)
    level('proxied_held_bytes', 'Bytes held for proxied ends now, both directions.', (now) => now.proxiedBytes)

    new Gauge({
      name: `${PREFIX}channels`,
      help: 'Channels by state: waiting (an end not connected yet), open (both connected), draining (the writer ended, delivery left).',
      labelNames: ['state'],
      registers,
      collect: function () {
        const counts = { waiting: 0, open: 0, draining: 0 }
        for (const relay of state.channels.relays()) counts[relay.state]++
        for (const [name, count] of Object.entries(counts)) this.set({ state: name }, count)
      },
    })
    new Gauge({
      name: `${PREFIX}writers_paused`,
      help: 'Channel writers whose sockets are not read now, for what their channel holds or a byte budget.',
      registers,
      collect: function () {
        let paused = 0
        for (const relay of state.channels.relays()) if (relay.writerPaused) paused++
        this.set(paused)
      },
    })
    new Counter({
      name: `${PREFIX}relayed_bytes_total`,
      help: 'Channel bytes taken from writers (direction "in") and sent to readers ("out").',
      labelNames: ['direction'],
      registers,
      collect: function () {
        const relayed = state.channels.relayedSinceStart()
        this.reset()
        this.inc({ direction: 'in' }, relayed.bytesIn)
        this.inc({ direction: 'out' }, relayed.bytesOut)
      },
    })
    new Counter({
      name: `${PREFIX}relayed_frames_total`,
      help: 'Channel frames (WebSocket messages) taken from writers ("in") and sent to readers ("out").',
      labelNames: ['direction'],
      registers,
      collect: function () {
        const relayed = state.channels.relayedSinceStart()
        this.reset()
        this.inc({ direction: 'in' }, relayed.framesIn)
        this.inc({ direction: 'out' }, relayed.framesOut)
      },
    })
    new Counter({
      name: `${PREFIX}proxied_bytes_total`,
      help: 'Bytes proxied ends passed on to home nodes ("to_home") and to their clients ("to_client").',
      labelNames: ['direction'],
      registers,
      collect: function () {
        const relayed = state.proxies.relayedSinceStart()
        this.reset()
        this.inc({ direction: 'to_home' }, relayed.toHome)
        this.inc({ direction: 'to_client' }, relayed.toClient)
      },
    })
    new Counter({
      name: `${PREFIX}shed_invocations_total`,
      help: 'Invocations refused because their callee was backed up (worker_backed_up).',
      registers,
      collect: function () {
        this.reset()
        this.inc(stats().shedInvocations)
      },
    })

    const invocations = new Counter({
      name: `${PREFIX}invocations_total`,
      help: 'Invocations that ended, by outcome (ok, error, sent, caller_gone) and error code ("" unless error).',
      labelNames: ['outcome', 'code'],
      registers,
    })
    const durations = new Histogram({
      name: `${PREFIX}invocation_duration_seconds`,
      help: 'From forwarding an invocation to its worker to its result, by outcome (ok, error, caller_gone).',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    })
    const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name: PREFIX + name, help, labelNames, registers })
    const channelsCreated = counter('channels_created_total', 'Channels created.')
    const channelsFinished = counter('channels_finished_total', 'Channels that ended, however they ended.')
    const channelsExpired = counter('channels_expired_total', 'Channels whose ends did not both connect within channelTtlMs.')
    const pauses = counter('writer_pauses_total', 'Times a channel writer was paused.')
    const endsProxied = counter('proxied_ends_total', 'Channel ends proxied to their home nodes.')
    const refused = counter('sockets_refused_total', 'Connections and upgrades answered with an HTTP error instead of a socket, by status and reason.', ['status', 'reason'])
    const workersConnected = counter('workers_connected_total', 'Worker sockets accepted.')
    const backedUp = counter('workers_backed_up_total', 'Times a worker had maxQueuedBytesPerWorker or more queued and unread.')
    const crossNode = homes === undefined ? undefined : counter('cross_node_invocations_total', 'Invocations whose caller or callee is on another node, by outcome.', ['outcome'])
    if (homes?.members !== undefined) {
      const members = homes.members
      new Gauge({ name: `${PREFIX}cluster_nodes`, help: 'Live nodes of the cluster this node knows of, itself included.', registers, collect: function () { this.set(members.size) } })
    }

    const telemetryForwarded = otlp && counter('otlp_forwarded_total', 'Exports official clients sent on /otel that the OTLP collector took, by signal.', ['signal'])
    const telemetryDropped =
      otlp &&
      counter('otlp_dropped_total', 'Exports from /otel dropped, by signal and reason (queue_full, export_failed, unknown_signal).', ['signal', 'reason'])
    const telemetryDroppedBytes = otlp && counter('otlp_dropped_bytes_total', 'Bytes of the exports from /otel dropped, by reason.', ['reason'])
    const engineSpans =
      otlp && counter('otlp_engine_spans_total', "The engine's own invocation spans, by outcome (exported, failed, queue_full, engine_closed).", ['outcome'])
    if (otlp !== undefined) {
      level('otlp_queued_bytes', 'Bytes of /otel exports held for the OTLP collector now, waiting or on their way (at most maxOtlpQueueBytes).', () => otlp.queuedBytes)
    }

    events.subscribe((event) => {
      switch (event.type) {
        case 'telemetry_forwarded':
          return telemetryForwarded?.inc({ signal: event.signal })
        case 'telemetry_dropped':
          telemetryDroppedBytes?.inc({ reason: event.reason }, event.bytes)
          return telemetryDropped?.inc({ signal: event.signal, reason: event.reason })
        case 'engine_spans_exported':
          return engineSpans?.inc({ outcome: event.ok ? 'exported' : 'failed' }, event.spans)
        case 'engine_spans_dropped':
          return engineSpans?.inc({ outcome: event.reason }, event.spans)
        case 'invocation_finished': {
          const outcome = event.outcome === 'caller gone' ? 'caller_gone' : event.outcome
          invocations.inc({ outcome, code: event.code === undefined ? '' : this.codeLabel(event.code) })
          if (event.duration_ms !== undefined) durations.observe({ outcome }, event.duration_ms / 1000)
          if (event.cross_node) crossNode?.inc({ outcome })
          return
        }
        case 'channel_created':
          return channelsCreated.inc()
        case 'channel_finished':
          return channelsFinished.inc()
        case 'channel_expired':
          return channelsExpired.inc()
        case 'writer_paused':
          return pauses.inc()
        case 'end_proxied':
          return endsProxied.inc()
        case 'socket_refused':
          return refused.inc({ status: String(event.status), reason: refusalReason(event.status) })
        case 'worker_connected':
          return workersConnected.inc()
        case 'worker_backed_up':
          return backedUp.inc()
      }
    })
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** The Prometheus text of this engine's metrics, then the process's. */
  async text(): Promise<string> {
    const [engine, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()])
    return `${engine}\n${process}`
  }

  /** Error codes come from workers too: a hostile or careless one must not grow the series without bound. */
  private codeLabel(code: string): string {
    if (this.codes.has(code)) return code
    if (!PLAIN_CODE.test(code) || this.codes.size >= MAX_CODES) return 'other'
    this.codes.add(code)
    return code
  }
}
